//! Watch mode, driven as a person would: in a terminal (tmux), saving files and pressing keys,
//! reading the screen.

use crate::support::{Tmux, Workbook, fnv1a, wait_for_log};

const SLOW1: &str = "exercises/w/slow1.rs";

fn slow1_returning(body: &str) -> String {
    format!(
        "// Return two.\nfn value() -> u32 {{\n    {body}\n}}\n\nfn main() {{\n    println!(\"{{}}\", value());\n}}\n"
    )
}

#[test]
fn each_save_gets_its_verdict_and_keys_work() {
    let wb = Workbook::fixture("watch");
    let log = wb.path().join("watch.log");
    let Some(tmux) = Tmux::start(&wb, "", &log) else {
        return;
    };
    let screen = tmux.wait_for("✗ Checks failed");
    assert!(screen.contains("Welcome to the watch fixture."), "{screen}");
    assert!(
        screen.contains("value() returned 0, expected 2"),
        "{screen}"
    );
    assert!(
        screen.contains("Current exercise: exercises/w/slow1.rs"),
        "{screen}"
    );
    assert!(screen.contains("h hint · l list"), "{screen}");

    // A wrong fix, then the right one.
    wb.write(SLOW1, &slow1_returning("3"));
    tmux.wait_for("value() returned 3, expected 2");
    tmux.keys("h");
    tmux.wait_for("Hint 1 of 2 for slow1");
    tmux.keys("h");
    let screen = tmux.wait_for("Hint 2 of 2 for slow1");
    assert!(screen.contains("the answer is 2"), "{screen}");
    wb.write(SLOW1, &slow1_returning("2"));
    let screen = tmux.wait_for("✓ Done: `exercises/w/slow1.rs`");
    assert!(screen.contains("solutions/w/slow1.rs"), "{screen}");
    assert!(
        screen.contains("[#########################-------------------------] 1/2"),
        "{screen}"
    );

    // n moves on; the list shows both; q quits and the terminal is usable again.
    tmux.keys("n");
    tmux.wait_for("asynclings · other1 (2 of 2)");
    tmux.keys("l");
    let screen = tmux.wait_for("Exercises (all, 1 of 2 done)");
    assert!(screen.contains("slow1   done"), "{screen}");
    tmux.keys("Escape");
    tmux.wait_for("asynclings · other1");
    tmux.keys("q");
    tmux.wait_for("Your progress is saved.");
    let stty = wait_for_file(&wb, "stty.txt");
    assert!(
        stty.contains(" icanon") && stty.contains(" echo "),
        "terminal left raw:\n{stty}"
    );
    let state = wb.read(".asynclings-state.toml");
    assert!(
        state.contains("done = [\"slow1\"]") && state.contains("slow1 = 2"),
        "{state}"
    );
}

#[test]
fn a_save_during_a_slow_check_cancels_it_and_only_the_latest_is_shown() {
    let wb = Workbook::fixture("watch");
    let log = wb.path().join("watch.log");
    let Some(tmux) = Tmux::start(&wb, "", &log) else {
        return;
    };
    tmux.wait_for("✗ Checks failed");
    // The first save is slow to check (and wrong); the second is quick (and right).
    let slow = slow1_returning("std::thread::sleep(std::time::Duration::from_secs(4));\n    5");
    let quick = slow1_returning("2");
    wb.write(SLOW1, &slow);
    wait_for_log(&log, &format!("start slow1 {}", fnv1a(slow.as_bytes())));
    wb.write(SLOW1, &quick);
    let quick_verdict = format!("verdict slow1 {} passed", fnv1a(quick.as_bytes()));
    wait_for_log(&log, &quick_verdict);
    tmux.wait_for("✓ Done");
    // The slow check's process is gone (killed, not left to finish): its dropped future can
    // report nothing after this.
    let harness = wb.path().join("target");
    wait_until_gone(&harness);
    let log_text = std::fs::read_to_string(&log).unwrap();
    let verdicts: Vec<&str> = log_text
        .lines()
        .filter(|l| l.contains(" verdict "))
        .collect();
    assert_eq!(
        verdicts.len(),
        2,
        "one verdict as shipped, one for the last save:\n{log_text}"
    );
    assert!(verdicts[1].ends_with(&quick_verdict), "{log_text}");
    assert!(
        log_text.contains(&format!("cancel slow1 {}", fnv1a(slow.as_bytes()))),
        "{log_text}"
    );
    let screen = tmux.screen();
    assert!(
        screen.contains("✓ Done") && !screen.contains("returned 5"),
        "{screen}"
    );
}

#[test]
fn unchanged_saves_and_other_files_start_nothing() {
    let wb = Workbook::fixture("watch");
    let log = wb.path().join("watch.log");
    let Some(tmux) = Tmux::start(&wb, "", &log) else {
        return;
    };
    tmux.wait_for("✗ Checks failed");
    let same = wb.read(SLOW1);
    wb.write(SLOW1, &same);
    wb.write("exercises/w/other1.rs", &wb.solve_text("w", "other1"));
    wb.write("info.toml", &(wb.read("info.toml") + "\n"));
    tmux.wait_for("`info.toml` changed: restart asynclings to apply it.");
    // Each save was looked at, and none started a check.
    wait_for_log(&log, &format!("unchanged slow1 {}", fnv1a(same.as_bytes())));
    let log_text = wait_for_log(&log, "elsewhere exercises/w/other1.rs");
    assert_eq!(log_text.matches(" start ").count(), 1, "{log_text}");
}

#[test]
fn a_deleted_and_recreated_file_is_followed() {
    let wb = Workbook::fixture("watch");
    let log = wb.path().join("watch.log");
    let Some(tmux) = Tmux::start(&wb, "", &log) else {
        return;
    };
    tmux.wait_for("✗ Checks failed");
    wb.remove(SLOW1);
    tmux.wait_for("✗ Missing: `exercises/w/slow1.rs` is gone");
    wb.write(SLOW1, &slow1_returning("2"));
    tmux.wait_for("✓ Done");
}

#[test]
fn polling_finds_saves_without_file_events() {
    let wb = Workbook::fixture("watch");
    let log = wb.path().join("watch.log");
    let Some(tmux) = Tmux::start(&wb, "--poll", &log) else {
        return;
    };
    let screen = tmux.wait_for("✗ Checks failed");
    assert!(screen.contains("Polling for changes"), "{screen}");
    wb.write(SLOW1, &slow1_returning("2"));
    tmux.wait_for("✓ Done");
}

#[test]
fn without_a_terminal_it_checks_once() {
    let wb = Workbook::fixture("watch");
    wb.run(["watch"])
        .fails()
        .stdout_has("value() returned 0")
        .stderr_has("watch mode needs a terminal");
}

fn wait_for_file(wb: &Workbook, path: &str) -> String {
    let started = std::time::Instant::now();
    loop {
        if let Ok(text) = std::fs::read_to_string(wb.path().join(path))
            && !text.is_empty()
        {
            return text;
        }
        assert!(
            started.elapsed() < crate::support::SCREEN_TIME_LIMIT,
            "{path} never appeared"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn manual_run_waits_for_r() {
    let wb = Workbook::fixture("watch");
    let log = wb.path().join("watch.log");
    let Some(tmux) = Tmux::start(&wb, "--manual-run", &log) else {
        return;
    };
    tmux.wait_for("✗ Checks failed");
    wb.write(SLOW1, &slow1_returning("2"));
    tmux.wait_for("Saved. Press r to check it");
    tmux.keys("r");
    tmux.wait_for("✓ Done");
}

#[test]
fn auto_advance_moves_on_after_a_pass() {
    let wb = Workbook::fixture("watch");
    let log = wb.path().join("watch.log");
    let Some(tmux) = Tmux::start(&wb, "--auto-advance", &log) else {
        return;
    };
    tmux.wait_for("✗ Checks failed");
    wb.write(SLOW1, &slow1_returning("2"));
    let screen = tmux.wait_for("asynclings · other1 (2 of 2)");
    assert!(screen.contains("1/2"), "{screen}");
    wb.write("exercises/w/other1.rs", &wb.solve_text("w", "other1"));
    let screen = tmux.wait_for("Summary: all 2 exercises done, with 0 hints");
    assert!(screen.contains("Watch fixture complete."), "{screen}");
}

#[test]
fn an_editor_style_save_by_rename_is_seen() {
    let wb = Workbook::fixture("watch");
    let log = wb.path().join("watch.log");
    let Some(tmux) = Tmux::start(&wb, "", &log) else {
        return;
    };
    tmux.wait_for("✗ Checks failed");
    // Editors often write a temporary file and rename it over the original.
    wb.write("exercises/w/.slow1.rs.swp", &slow1_returning("2"));
    std::fs::rename(
        wb.path().join("exercises/w/.slow1.rs.swp"),
        wb.path().join(SLOW1),
    )
    .unwrap();
    tmux.wait_for("✓ Done");
}

#[test]
fn a_narrow_terminal_gets_the_short_legend() {
    let wb = Workbook::fixture("watch");
    let log = wb.path().join("watch.log");
    let Some(tmux) = Tmux::start_sized(&wb, "", &log, 50, 24) else {
        return;
    };
    let screen = tmux.wait_for("✗ Checks failed");
    assert!(screen.contains("keys: h l c r x e q ?"), "{screen}");
    assert!(screen.lines().all(|l| l.chars().count() <= 50), "{screen}");
}

#[test]
fn check_all_reports_what_changed() {
    let wb = Workbook::fixture("watch");
    let log = wb.path().join("watch.log");
    let Some(tmux) = Tmux::start(&wb, "", &log) else {
        return;
    };
    tmux.wait_for("✗ Checks failed");
    // Solved in another editor window, without watch mode looking at that file.
    wb.write("exercises/w/other1.rs", &wb.solve_text("w", "other1"));
    tmux.keys("c");
    let screen = tmux.wait_for("Checked every exercise: 1 of 2 pass. Now done: other1.");
    assert!(screen.contains("asynclings · slow1"), "{screen}");
}

#[test]
fn help_keys_and_the_list_search_as_you_type() {
    let wb = Workbook::fixture("watch");
    let log = wb.path().join("watch.log");
    let Some(tmux) = Tmux::start(&wb, "", &log) else {
        return;
    };
    tmux.wait_for("✗ Checks failed");
    // ? shows the keys; a key that does nothing says so.
    tmux.keys("?");
    tmux.wait_for("Keys: h the next hint");
    tmux.keys("z");
    tmux.wait_for("`z` does nothing here: press ? for the keys.");
    tmux.keys("l");
    tmux.wait_for("Exercises (all, 0 of 2 done)");
    tmux.keys("/");
    tmux.keys("oth");
    let screen = tmux.wait_for("Search: oth");
    assert!(screen.contains("other1"), "{screen}");
    assert!(!screen.contains("slow1   pending"), "{screen}");
    // Enter keeps the search and goes back to moving; enter again goes to the exercise.
    tmux.keys("Enter");
    tmux.keys("Enter");
    tmux.wait_for("asynclings · other1");
}

#[test]
fn a_verdict_taller_than_the_terminal_scrolls() {
    let wb = Workbook::fixture("watch");
    let log = wb.path().join("watch.log");
    let Some(tmux) = Tmux::start_sized(&wb, "", &log, 80, 20) else {
        return;
    };
    tmux.wait_for("✗ Checks failed");
    let errors: String = (0..12)
        .map(|i| format!("    let _x{i}: u32 = \"not a number\";\n"))
        .collect();
    wb.write(
        "exercises/w/slow1.rs",
        &slow1_returning(&format!("{errors}    2")),
    );
    // The first error is on screen, with what is below said; the footer stays.
    let top = tmux.wait_for("more below");
    assert!(top.contains("error[E0308]"), "{top}");
    assert!(
        top.contains("Current exercise: exercises/w/slow1.rs"),
        "{top}"
    );
    assert!(!top.contains("more above"), "{top}");
    tmux.keys("End");
    let bottom = tmux.wait_for("does not compile yet");
    assert!(bottom.contains("more above"), "{bottom}");
    assert!(!bottom.contains("more below"), "{bottom}");
    tmux.keys("Home");
    tmux.wait_until("the top again", |screen| {
        screen.contains("more below") && !screen.contains("more above")
    });
}

#[test]
fn a_resized_terminal_is_drawn_again_to_its_width() {
    let wb = Workbook::fixture("watch");
    let log = wb.path().join("watch.log");
    let Some(tmux) = Tmux::start_sized(&wb, "", &log, 100, 30) else {
        return;
    };
    tmux.wait_for("h hint · l list");
    tmux.resize(50, 30);
    let screen = tmux.wait_for("keys: h l c r x e q ?");
    assert!(screen.lines().all(|l| l.chars().count() <= 50), "{screen}");
}

#[test]
fn e_lends_the_terminal_to_the_editor_and_checks_what_it_saved() {
    let wb = Workbook::fixture("watch");
    let log = wb.path().join("watch.log");
    // A terminal editor: it asks for a line on the terminal, then saves the solution.
    let solution = wb.path().join("solutions/w/slow1.rs");
    wb.write(
        "editor.sh",
        &format!(
            "printf 'EDITING %s\\n' \"$1\"\nread -r line\necho \"$line\" > typed.txt\ncp '{}' \"$1\"\n",
            solution.display()
        ),
    );
    let Some(tmux) = Tmux::start(&wb, "--edit-cmd 'bash editor.sh'", &log) else {
        return;
    };
    tmux.wait_for("✗ Checks failed");
    tmux.keys("e");
    tmux.wait_for("EDITING");
    // Keys go to the editor now, not to watch mode (h would show a hint, q would quit).
    tmux.keys("hq");
    tmux.keys("Enter");
    let screen = tmux.wait_for("✓ Done");
    assert!(
        screen.contains("Opened `exercises/w/slow1.rs` with `bash editor.sh`"),
        "{screen}"
    );
    assert_eq!(wb.read("typed.txt").trim(), "hq");
    // Watch mode has its keys back.
    tmux.keys("?");
    tmux.wait_for("Keys: h the next hint");
}

#[test]
fn e_without_an_editor_says_how_to_set_one() {
    let wb = Workbook::fixture("watch");
    let log = wb.path().join("watch.log");
    let Some(tmux) = Tmux::start_env(&wb, "", &log, &["VISUAL", "EDITOR"]) else {
        return;
    };
    tmux.wait_for("✗ Checks failed");
    tmux.keys("e");
    tmux.wait_for("No editor is set");
}

/// Waits until no process runs a program from under `dir` (a harness binary built there).
fn wait_until_gone(dir: &std::path::Path) {
    let started = std::time::Instant::now();
    loop {
        let running: Vec<String> = std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|entry| std::fs::read_link(entry.path().join("exe")).ok())
            .filter(|exe| exe.starts_with(dir))
            .map(|exe| exe.display().to_string())
            .collect();
        if running.is_empty() {
            return;
        }
        assert!(
            started.elapsed() < crate::support::SCREEN_TIME_LIMIT,
            "still running after the check was cancelled: {running:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn a_damaged_progress_file_is_reported_on_the_watch_screen() {
    let wb = Workbook::fixture("watch");
    wb.write(".asynclings-state.toml", "current = [not toml");
    let log = wb.path().join("watch.log");
    let Some(tmux) = Tmux::start(&wb, "", &log) else {
        return;
    };
    // Said where the learner looks, not printed before the screen is cleared.
    let screen = tmux.wait_for("✗ Checks failed");
    assert!(
        screen.contains("note: your progress file `.asynclings-state.toml` could not be read"),
        "{screen}"
    );
}

/// A check's failure that carries a timeline, in the shape `asynclings_support::timeline`
/// writes it: two requests awaited one after another, and the expected run.
const TIMELINE_CHECK: &str = r#"use super::value;

#[test]
fn value_is_two() {
    let got = value();
    if got != 2 {
        panic!(
            "value() returned {got}, expected 2: awaited one after another?\n{}",
            concat!(
                "asynclings-timeline v1 {\"recorded\":{\"rows\":[",
                "{\"label\":\"profile\",\"kind\":\"spans\",\"spans\":[[0,93000]]},",
                "{\"label\":\"orders\",\"kind\":\"spans\",\"spans\":[[93000,114000]]}",
                "],\"end_us\":114000},\"expected\":{\"rows\":[",
                "{\"label\":\"profile\",\"kind\":\"spans\",\"spans\":[[0,93000]]},",
                "{\"label\":\"orders\",\"kind\":\"spans\",\"spans\":[[0,21000]]}",
                "],\"end_us\":93000}}"
            )
        );
    }
}
"#;

#[test]
fn a_failing_check_shows_its_timeline_drawn_to_the_terminal() {
    let wb = Workbook::fixture("watch");
    wb.write("checks/w/slow1.rs", TIMELINE_CHECK);
    let log = wb.path().join("watch.log");
    let Some(tmux) = Tmux::start_sized(&wb, "", &log, 60, 40) else {
        return;
    };
    let screen = tmux.wait_for("✗ Checks failed");
    assert!(
        screen.contains("value() returned 0, expected 2"),
        "{screen}"
    );
    assert!(!screen.contains("asynclings-timeline"), "{screen}");
    for line in [
        "    your run: 114ms",
        "    profile ████",
        "    expected: 93ms",
        "    orders  ▒▒▒",
        "orders starts at 93ms; expected 0ms",
        "ends at 114ms; expected 93ms",
    ] {
        assert!(
            screen.contains(line),
            "no {line:?} on the screen:\n{screen}"
        );
    }
    // Every line of the picture fits in 60 columns: nothing wrapped.
    let axis = screen.lines().find(|l| l.contains('└')).unwrap();
    assert!(
        axis.chars().count() <= 60 && axis.trim_end().ends_with('─'),
        "{screen}"
    );
    tmux.keys("q");
}

#[test]
fn a_new_hint_is_scrolled_into_sight() {
    let wb = Workbook::fixture("watch");
    let log = wb.path().join("watch.log");
    // Too short for the verdict and a hint together.
    let Some(tmux) = Tmux::start_sized(&wb, "", &log, 60, 12) else {
        return;
    };
    tmux.wait_for("more below");
    wait_for_log(&log, "verdict slow1");
    tmux.keys("h");
    let screen = tmux.wait_for("Hint 1 of 2 for slow1");
    assert!(screen.contains("more above"), "{screen}");
}
