//! asynclings: small broken async Rust programs to fix, checked by hidden tests on every save.

mod cargo;
mod check;
mod class_report;
mod commands;
mod confine;
mod embedded;
mod exercise;
mod explain;
mod fnv;
mod fs_util;
mod git;
mod grade;
mod info_file;
mod outcome;
mod process;
mod rules;
mod rustlings_format;
mod state;
mod sync;
mod term;
mod timeline;
mod tree;
mod warm_up;
mod watch;
mod workbook;
mod workspace;

use std::path::Path;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Learn async Rust by fixing small broken programs. With no command, watches the first
/// exercise not done and checks it every time you save.
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    watch: WatchArgs,
}

#[derive(clap::Args, Clone)]
struct WatchArgs {
    /// Move on to the next exercise as soon as one passes
    #[arg(long)]
    auto_advance: bool,
    /// Check only when `r` is pressed, not on every save
    #[arg(long)]
    manual_run: bool,
    /// Poll the exercise file for changes instead of relying on file events (network mounts)
    #[arg(long)]
    poll: bool,
    /// The command that `e` runs on the exercise's file, such as `code` or `vim` (default:
    /// `$VISUAL`, then `$EDITOR`)
    #[arg(long, value_name = "COMMAND")]
    edit_cmd: Option<String>,
}

impl From<WatchArgs> for watch::Options {
    fn from(args: WatchArgs) -> Self {
        Self {
            auto_advance: args.auto_advance,
            manual_run: args.manual_run,
            poll: args.poll,
            edit_cmd: args.edit_cmd,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Watch the current exercise: check it on every save (the default)
    Watch {
        #[command(flatten)]
        args: WatchArgs,
    },
    /// Build and check one exercise (the current one if no name is given)
    Run {
        /// The exercise's name, as `asynclings list` shows it
        name: Option<String>,
        /// Run the file as the program it also is, to see what its `main` prints (no checks,
        /// no verdict)
        #[arg(long)]
        main: bool,
    },
    /// Show the next hint for an exercise (the current one if no name is given)
    Hint {
        name: Option<String>,
        /// Show every hint level at once
        #[arg(long)]
        all: bool,
    },
    /// List every exercise with its state
    List,
    /// Restore an exercise (or all of them) to the shipped version, keeping yours as a backup
    Reset {
        /// The exercise's name or path
        #[arg(required_unless_present = "all")]
        name: Option<String>,
        /// Every exercise you changed, each backed up first; your progress starts over
        #[arg(long, conflicts_with = "name")]
        all: bool,
    },
    /// Check every exercise in order and mark the ones that pass as done
    Verify,
    /// Grade every exercise (or an assignment) for a teacher, with points and a report
    #[command(after_help = GRADE_EXIT_CODES)]
    Grade(grade::Options),
    /// A whole class's grade reports as one HTML page, a CSV for a gradebook and a summary;
    /// or, with --workflow, the GitHub Actions workflow that regrades the class
    ClassReport(class_report::Options),
    /// Explain an async error or hang in depth (`E0277`, `unused-future`, `timeout`, ...)
    Explain {
        /// An error code or name; none lists them all
        code: Option<String>,
    },
    /// Make a learner workspace: the exercises and their lessons, without the answers
    Init {
        /// The directory to make (it must not exist, or be empty)
        #[arg(default_value = "asynclings")]
        dir: std::path::PathBuf,
        /// Also make it a GitHub Classroom template: a grading workflow and `assignment.toml`
        #[arg(long)]
        classroom: bool,
        /// With --classroom: the git repository the workflow installs the runner from
        #[arg(long, requires = "classroom", value_name = "URL")]
        runner_git: Option<String>,
        /// With --classroom: the revision of that repository (a commit, for a pinned runner)
        #[arg(long, requires = "classroom", value_name = "REV")]
        runner_rev: Option<String>,
    },
    /// Commands for exercise authors
    #[command(subcommand)]
    Dev(DevCommand),
}

#[derive(Subcommand)]
enum DevCommand {
    /// Prove the workbook sound: every exercise fails as shipped, every solution passes,
    /// every wrong fix fails as expected, info.toml and the files agree
    Check {
        /// Only these exercises (the tree and plumbing checks always run)
        names: Vec<String>,
        /// Run every check this many times; a verdict that changes between runs is a flaky
        /// check and fails
        #[arg(long, default_value_t = 1)]
        repeat: usize,
        /// Check the exercise files as committed (git's HEAD), not as they are now: in a clone
        /// where exercises were solved, a copy under `target/` is checked
        #[arg(long)]
        shipped: bool,
    },
    /// Write the build plumbing that info.toml implies (bin lists and harness files)
    Sync,
}

const GRADE_EXIT_CODES: &str = "Exit codes: 0 every selected exercise passed (or --exit-zero and \
     grading ran); 1 some exercise failed; 2 grading itself could not run.";

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    if args
        .next()
        .is_some_and(|first| first == confine::SUBCOMMAND)
    {
        return confine::main(args.collect());
    }
    term::init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: failed to start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let grading = matches!(cli.command, Some(Command::Grade { .. }));
    match runtime.block_on(dispatch(cli)) {
        Ok(code) => code,
        // The status a shell gives a process ended by SIGPIPE.
        Err(err) if is_broken_pipe(&err) => ExitCode::from(141),
        Err(err) => {
            eprintln!("{} {err:#}", term::red("error:"));
            // A grader must tell "the student failed" from "grading broke".
            if grading {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// Whether `err` comes from writing to a pipe whose reader has gone (`asynclings list |
/// head`): not a failure to report, the reader simply had enough.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

async fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir()
        .map_err(|err| anyhow::anyhow!("failed to read the current directory: {err}"))?;
    // Like cargo, work from the nearest directory above that holds the workbook: a clone's
    // info.toml, or a learner workspace's Cargo.toml.
    let root = cwd
        .ancestors()
        .find(|dir| dir.join(workbook::INFO_FILE).is_file() || workspace::is_workspace(dir))
        .map_or_else(|| cwd.clone(), Path::to_path_buf);
    match cli.command {
        None => watch::watch(&root, cli.watch.into()).await,
        Some(Command::Watch { args }) => watch::watch(&root, args.into()).await,
        Some(Command::Run { name, main }) => commands::run::run(&root, name.as_deref(), main).await,
        Some(Command::Hint { name, all }) => commands::hint::hint(&root, name.as_deref(), all),
        Some(Command::List) => commands::list::list(&root),
        Some(Command::Explain { code }) => explain::explain(code.as_deref()),
        Some(Command::Reset { name, all }) => match name {
            Some(name) if !all => commands::reset::reset(&root, &name).await,
            _ => commands::reset::reset_all(&root).await,
        },
        Some(Command::Verify) => commands::verify::verify(&root).await,
        Some(Command::Grade(options)) => grade::grade(&root, options).await,
        Some(Command::ClassReport(options)) => class_report::class_report(&cwd, options),
        Some(Command::Init {
            dir,
            classroom,
            runner_git,
            runner_rev,
        }) => commands::init::init(
            &rules::normalize(&cwd.join(dir)),
            classroom,
            runner_git,
            runner_rev,
        ),
        Some(Command::Dev(DevCommand::Check {
            names,
            repeat,
            shipped,
        })) => {
            let root = if shipped {
                commands::dev::shipped_copy(&root).await?
            } else {
                root
            };
            commands::dev::check(&root, &names, repeat).await
        }
        Some(Command::Dev(DevCommand::Sync)) => commands::dev::sync(&root),
    }
}
