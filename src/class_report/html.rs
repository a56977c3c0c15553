//! The class report as one self-contained HTML page: no server, no network, no external
//! scripts, styles or fonts, so it works opened from disk and can be mailed as one file. The
//! tables are written here; a few lines of inline script add sorting, filtering and the
//! coloured status strips. Everything from a report is escaped: it is about untrusted code.

use std::fmt::Write;

use super::{
    Class, ExerciseResult, Status, Student, bucket, first_failure, short_fingerprint, shorten,
    trim_float,
};

/// Lines of a failure message shown in a student's details (the report file has it all).
const MESSAGE_LINES: usize = 4;
/// The exercises, from where a student stopped, whose messages their details show.
const MESSAGE_EXERCISES: usize = 3;
/// Characters per line of those.
const MESSAGE_LINE_CHARS: usize = 160;

/// Text for HTML content and attribute values alike.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out += "&amp;",
            '<' => out += "&lt;",
            '>' => out += "&gt;",
            '"' => out += "&quot;",
            '\'' => out += "&#39;",
            '\n' | '\t' => out.push(c),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

pub fn page(class: &Class) -> String {
    let mut out = String::with_capacity(4096 + class.students.len() * 1024);
    let title = esc(&class.title);
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n\
         <meta name=\"generator\" content=\"asynclings {}\">\n<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(
        out,
        "<header><h1>{title}</h1><p class=\"sub\"><span id=\"header-students\">{}</span> students graded with checks <code id=\"fingerprint\" title=\"{}\">{}</code> ({}){}</p></header>",
        class.students.len(),
        esc(&class.fingerprint),
        esc(&short_fingerprint(&class.fingerprint)),
        if class.fingerprint_chosen {
            "chosen with --fingerprint"
        } else {
            "those most reports share"
        },
        deadline(class)
    );
    notices(&mut out, class);
    scores(&mut out, class);
    exercises(&mut out, class);
    students(&mut out, class);
    other_checks(&mut out, class);
    details(&mut out, class);
    let names: Vec<&str> = class.columns.iter().map(|c| c.name.as_str()).collect();
    // JSON inside a script element: `<` escaped so that no name can close the element.
    let names = serde_json::to_string(&names)
        .unwrap_or_else(|_| "[]".into())
        .replace('<', "\\u003c");
    let _ = write!(
        out,
        "<script id=\"exercise-names\" type=\"application/json\">{names}</script>\n<script>{SCRIPT}</script>\n</body>\n</html>\n"
    );
    out
}

/// The `--at` the class was graded as of, when the reports agree on one.
fn deadline(class: &Class) -> String {
    let ats: Vec<&str> = class
        .students
        .iter()
        .filter_map(|s| s.graded.as_ref()?.at.as_deref())
        .collect();
    match ats.first() {
        Some(first) if ats.iter().all(|a| a == first) => {
            format!(", as of <time id=\"deadline\">{}</time>", esc(first))
        }
        Some(_) => ", as of several dates".to_owned(),
        None => String::new(),
    }
}

fn notices(out: &mut String, class: &Class) {
    if class.skipped.is_empty() && class.other_checks.is_empty() && class.no_report.is_empty() {
        return;
    }
    out.push_str("<section id=\"notices\" class=\"notices\">\n");
    if !class.skipped.is_empty() {
        let _ = writeln!(
            out,
            "<div class=\"notice bad\"><h3>{} report{} could not be read and {} skipped</h3><ul id=\"skipped\">",
            class.skipped.len(),
            plural(class.skipped.len()),
            if class.skipped.len() == 1 {
                "was"
            } else {
                "were"
            }
        );
        for skipped in &class.skipped {
            let _ = writeln!(
                out,
                "<li><code>{}</code> {}</li>",
                esc(&skipped.path.display().to_string()),
                esc(&skipped.reason)
            );
        }
        out.push_str("</ul></div>\n");
    }
    if !class.other_checks.is_empty() {
        let _ = writeln!(
            out,
            "<div class=\"notice warn\"><h3>{} report{} graded with different checks</h3><p>Not counted in the class's numbers: their points are not comparable. <a href=\"#other-checks\">See them below.</a></p><ul id=\"different-checks\">",
            class.other_checks.len(),
            plural(class.other_checks.len())
        );
        for s in &class.other_checks {
            let _ = writeln!(
                out,
                "<li>{} <code>{}</code></li>",
                esc(&s.name),
                esc(&short_fingerprint(&s.fingerprint))
            );
        }
        out.push_str("</ul></div>\n");
    }
    if !class.no_report.is_empty() {
        let _ = writeln!(
            out,
            "<div class=\"notice warn\"><h3>{} on the roster without a report</h3><p id=\"no-report\">{}</p></div>",
            class.no_report.len(),
            class
                .no_report
                .iter()
                .map(|n| esc(n))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    out.push_str("</section>\n");
}

fn scores(out: &mut String, class: &Class) {
    let max = class.max_score();
    let median = class
        .median_score()
        .map_or_else(|| "–".to_owned(), trim_float);
    let mean = class
        .mean_score()
        .map_or_else(|| "–".to_owned(), |m| format!("{m:.1}"));
    let finished = class
        .students
        .iter()
        .filter(|s| s.first_unsolved().is_none())
        .count();
    let _ = writeln!(
        out,
        "<section id=\"scores\"><h2>Scores</h2>\n<div class=\"tiles\">\
         <div class=\"tile\"><b id=\"n-students\">{}</b><span>students</span></div>\
         <div class=\"tile\"><b id=\"median\">{median}</b><span>median, of <span id=\"max-score\">{max}</span> points</span></div>\
         <div class=\"tile\"><b id=\"mean\">{mean}</b><span>mean</span></div>\
         <div class=\"tile\"><b id=\"n-full\">{}</b><span>every point</span></div>\
         <div class=\"tile\"><b id=\"n-finished\">{finished}</b><span>solved every exercise</span></div>\
         <div class=\"tile\"><b id=\"n-zero\">{}</b><span>no points</span></div></div>",
        class.students.len(),
        class.n_full_marks(),
        class.students.iter().filter(|s| s.score == 0).count(),
    );
    let buckets = class.distribution();
    let tallest = buckets.iter().copied().max().unwrap_or(0).max(1);
    out.push_str("<h3>Distribution of scores</h3>\n<div class=\"hist\" id=\"distribution\">");
    for (i, n) in buckets.iter().enumerate() {
        let label = if i == 10 {
            "100%".to_owned()
        } else {
            format!("{}–{}%", i * 10, i * 10 + 9)
        };
        let _ = write!(
            out,
            "<div class=\"col\" data-bucket=\"{i}\"><span class=\"n\">{n}</span><div class=\"bar\" style=\"height:{}%\"></div><span class=\"l\">{label}</span></div>",
            n * 100 / tallest
        );
    }
    out.push_str("</div>\n</section>\n");
    debug_assert_eq!(bucket(100.0), 10);
}

fn exercises(out: &mut String, class: &Class) {
    out.push_str(
        "<section id=\"exercises\"><h2>Exercises</h2>\n<p class=\"hint\">In order. <i>Stop here</i>: students for whom this is the first exercise that does not pass. <i>Most common first failure</i>: the first failing check, rustc's first error code, the check still running at a timeout, or the reason for a refusal. Click a heading to sort.</p>\n\
         <div class=\"scroll\"><table class=\"sortable\" id=\"exercise-table\"><thead><tr>\
         <th data-type=\"num\">#</th><th>exercise</th><th data-type=\"num\">pass rate</th><th data-type=\"num\">passed</th>\
         <th data-type=\"num\" class=\"s-c\">compile error</th><th data-type=\"num\" class=\"s-f\">checks failed</th>\
         <th data-type=\"num\" class=\"s-t\">timed out</th><th data-type=\"num\" class=\"s-r\">refused</th><th data-type=\"num\" class=\"s-m\">missing</th>\
         <th data-type=\"num\">stop here</th><th>most common first failure</th><th data-type=\"num\" class=\"self\">hint levels used<sup>*</sup></th></tr></thead><tbody>\n",
    );
    let most_stops = class
        .stats
        .iter()
        .map(|s| s.stopped_here)
        .max()
        .unwrap_or(0)
        .max(1);
    for (i, (column, stat)) in class.columns.iter().zip(&class.stats).enumerate() {
        let rate = stat.pass_rate();
        let rate_text = rate.map_or_else(|| "–".to_owned(), |r| format!("{r}%"));
        let _ = write!(
            out,
            "<tr id=\"ex-{}\" data-name=\"{}\"><td data-v=\"{}\">{}</td><td><b>{}</b> <small>{} · {} pt</small></td>\
             <td data-k=\"pass-rate\" data-v=\"{}\"><span class=\"meter\"><i style=\"width:{}%\"></i></span>{rate_text}</td>\
             <td data-k=\"passed\">{}</td>",
            i + 1,
            esc(&column.name),
            i + 1,
            i + 1,
            esc(&column.name),
            esc(&column.topic),
            column.max_points,
            rate.unwrap_or(0),
            rate.unwrap_or(0),
            stat.count(Status::Passed),
        );
        for status in [
            Status::CompileError,
            Status::ChecksFailed,
            Status::TimedOut,
            Status::Refused,
            Status::Missing,
        ] {
            let n = stat.count(status);
            let _ = write!(
                out,
                "<td data-k=\"{}\"{}>{n}</td>",
                status.as_str(),
                if n > 0 { " class=\"some\"" } else { "" }
            );
        }
        let _ = write!(
            out,
            "<td data-k=\"stop\" data-v=\"{}\"><span class=\"meter stop\"><i style=\"width:{}%\"></i></span>{}</td>",
            stat.stopped_here,
            stat.stopped_here * 100 / most_stops,
            stat.stopped_here
        );
        match &stat.top_failure {
            Some((failure, n)) => {
                let _ = write!(
                    out,
                    "<td data-k=\"top-failure\" data-v=\"{}\"><code>{}</code> <small>({n})</small></td>",
                    esc(failure),
                    esc(&shorten(failure, 70))
                );
            }
            None => out.push_str("<td data-k=\"top-failure\" data-v=\"\"></td>"),
        }
        if stat.hint_reporters > 0 {
            let mean = stat.hints as f64 / stat.hint_reporters as f64;
            let _ = write!(
                out,
                "<td class=\"self\" data-k=\"hints\" data-v=\"{mean:.2}\">{mean:.1}</td>"
            );
        } else {
            out.push_str("<td class=\"self\" data-k=\"hints\" data-v=\"-1\">–</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
    out.push_str(SELF_REPORTED_NOTE);
    out.push_str("</section>\n");
}

const SELF_REPORTED_NOTE: &str = "<p class=\"note self\"><sup>*</sup> Self-reported: from the student's own progress file (<code>.asynclings-state.toml</code>, when they committed it). They can edit it, so it is shown for what it suggests and never counts for points.</p>\n";

fn students(out: &mut String, class: &Class) {
    let _ = writeln!(
        out,
        "<section id=\"students\"><h2>Students</h2>\n<div class=\"controls\"><input id=\"filter\" type=\"search\" placeholder=\"Filter by name\" aria-label=\"Filter by name\"> \
         <select id=\"show\" aria-label=\"Show\"><option value=\"all\">everyone</option><option value=\"unfinished\">not finished</option>\
         <option value=\"flagged\">flagged</option><option value=\"late\">late commits</option></select> <span id=\"shown\">{} shown</span>\
         <span class=\"legend\">{}</span></div>",
        class.students.len(),
        Status::ALL
            .iter()
            .map(|s| format!("<i class=\"c k-{}\"></i>{}", s.letter(), s.label()))
            .collect::<Vec<_>>()
            .join(" ")
    );
    out.push_str(
        "<div class=\"scroll\"><table class=\"sortable\" id=\"student-table\"><thead><tr><th data-key=\"name\">student</th>\
         <th data-type=\"num\" data-key=\"score\">score</th><th data-type=\"num\" data-key=\"passed\">passed</th>\
         <th data-type=\"num\" data-key=\"stop\">stopped at</th><th>exercises</th><th data-key=\"flags\">flags</th>\
         <th data-key=\"commit\">graded commit</th><th data-type=\"num\" data-key=\"hints\" class=\"self\">hint levels<sup>*</sup></th>\
         <th data-type=\"num\" data-key=\"time\" class=\"self\">time<sup>*</sup></th></tr></thead><tbody>\n",
    );
    for (i, s) in class.students.iter().enumerate() {
        student_row(out, class, i, s);
    }
    out.push_str("</tbody></table></div>\n");
    out.push_str(SELF_REPORTED_NOTE);
    out.push_str("</section>\n");
}

fn student_row(out: &mut String, class: &Class, i: usize, s: &Student) {
    let mut flags: Vec<&str> = Vec::new();
    if !s.modified.is_empty() {
        flags.push("modified");
    }
    if s.n_refused() > 0 {
        flags.push("refused");
    }
    if s.n_late() > 0 {
        flags.push("late");
    }
    let stop_index = s
        .first_unsolved()
        .and_then(|stop| class.columns.iter().position(|c| c.name == stop.name));
    let _ = write!(
        out,
        "<tr id=\"row-{}\" data-name=\"{}\" data-flags=\"{}\" data-finished=\"{}\">\
         <td data-v=\"{}\"><a href=\"#student-{}\">{}</a></td>\
         <td data-k=\"score\" data-v=\"{:.3}\"><b>{}</b> / {} <small>{:.0}%</small></td>\
         <td data-k=\"passed\" data-v=\"{}\">{} / {}</td>",
        i + 1,
        esc(&s.name),
        flags.join(" "),
        u8::from(stop_index.is_none()),
        esc(&s.name.to_lowercase()),
        i + 1,
        esc(&s.name),
        s.percent(),
        s.score,
        s.max_score,
        s.percent(),
        s.n_passed(),
        s.n_passed(),
        s.exercises.len(),
    );
    match (s.first_unsolved(), stop_index) {
        (Some(stop), Some(at)) => {
            let _ = write!(
                out,
                "<td data-k=\"stop\" data-v=\"{}\">{} <small class=\"s-{}\">{}</small></td>",
                at + 1,
                esc(&stop.name),
                stop.status.letter(),
                stop.status.label()
            );
        }
        _ => {
            let _ = write!(
                out,
                "<td data-k=\"stop\" data-v=\"{}\"><span class=\"done\">all done</span></td>",
                class.columns.len() + 1
            );
        }
    }
    let strip: String = s
        .by_column(&class.columns)
        .into_iter()
        .map(|ex| ex.map_or('-', |ex| ex.status.letter()))
        .collect();
    let _ = write!(
        out,
        "<td class=\"strip\" data-s=\"{strip}\">{strip}</td><td data-k=\"flags\" data-v=\"{}\">",
        flags.len()
    );
    if !s.modified.is_empty() {
        let _ = write!(
            out,
            "<span class=\"flag modified\" title=\"{}\">modified files ({})</span> ",
            esc(&s.modified.join("\n")),
            s.modified.len()
        );
    }
    if s.n_refused() > 0 {
        let refused: Vec<&str> = s
            .exercises
            .iter()
            .filter(|ex| ex.status == Status::Refused)
            .map(|ex| ex.name.as_str())
            .collect();
        let _ = write!(
            out,
            "<span class=\"flag refused\" title=\"{}\">refused ({})</span> ",
            esc(&refused.join(", ")),
            refused.len()
        );
    }
    if s.n_late() > 0 {
        let _ = write!(
            out,
            "<span class=\"flag late\">late commits ({})</span>",
            s.n_late()
        );
    }
    out.push_str("</td>");
    let graded = s.graded.as_ref();
    match graded.and_then(|g| g.commit.as_deref()) {
        Some(commit) => {
            let date = graded.and_then(|g| g.commit_date.as_deref()).unwrap_or("");
            // `2025-03-14T21:00:00+01:00` reads as `2025-03-14 21:00`; the whole date on hover.
            let shown: String = date.chars().take(16).collect::<String>().replace('T', " ");
            let _ = write!(
                out,
                "<td data-k=\"commit\" data-v=\"{}\" title=\"{}\"><code>{}</code> <small>{}</small></td>",
                esc(date),
                esc(date),
                esc(&commit.chars().take(10).collect::<String>()),
                esc(&shown)
            );
        }
        None => out.push_str("<td data-k=\"commit\" data-v=\"\"></td>"),
    }
    let reported = s.self_reported.as_ref();
    match s.hints_total() {
        Some(hints) => {
            let _ = write!(
                out,
                "<td class=\"self\" data-k=\"hints\" data-v=\"{hints}\">{hints}</td>"
            );
        }
        None => out.push_str("<td class=\"self\" data-k=\"hints\" data-v=\"-1\">–</td>"),
    }
    match reported.and_then(|r| r.time_spent_secs) {
        Some(secs) => {
            let _ = write!(
                out,
                "<td class=\"self\" data-k=\"time\" data-v=\"{secs}\">{}</td>",
                duration(secs)
            );
        }
        None => out.push_str("<td class=\"self\" data-k=\"time\" data-v=\"-1\">–</td>"),
    }
    out.push_str("</tr>\n");
}

fn other_checks(out: &mut String, class: &Class) {
    if class.other_checks.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<section id=\"other-checks\"><h2>Graded with different checks</h2>\n<p>These reports were graded with checks other than the class's (<code>{}</code>): a different runner revision, or <code>--workbook-checks</code>. Regrade them with the class's runner before comparing.</p>\n<table><thead><tr><th>student</th><th>checks</th><th>score</th><th>report</th></tr></thead><tbody>",
        esc(&short_fingerprint(&class.fingerprint))
    );
    for (j, s) in class.other_checks.iter().enumerate() {
        let _ = writeln!(
            out,
            "<tr data-name=\"{}\"><td><a href=\"#student-{}\">{}</a></td><td><code title=\"{}\">{}</code> <small>{}</small></td><td>{} / {}</td><td><code>{}</code></td></tr>",
            esc(&s.name),
            class.students.len() + j + 1,
            esc(&s.name),
            esc(&s.fingerprint),
            esc(&short_fingerprint(&s.fingerprint)),
            esc(&s.checks_source),
            s.score,
            s.max_score,
            esc(&s.source.display().to_string())
        );
    }
    out.push_str("</tbody></table></section>\n");
}

fn details(out: &mut String, class: &Class) {
    out.push_str("<section id=\"details\"><h2>Each student</h2>\n");
    let all = class.students.iter().chain(&class.other_checks);
    for (i, s) in all.enumerate() {
        let different = i >= class.students.len();
        student_details(out, i + 1, s, different);
    }
    out.push_str("</section>\n");
}

fn student_details(out: &mut String, id: usize, s: &Student, different: bool) {
    let stop = s.first_unsolved().map_or_else(
        || "all done".to_owned(),
        |ex| format!("stopped at {}", esc(&ex.name)),
    );
    let _ = write!(
        out,
        "<details id=\"student-{id}\" class=\"student\"><summary><b>{}</b> {} of {} points · {stop}{}</summary>\n<dl>",
        esc(&s.name),
        s.score,
        s.max_score,
        if different {
            " · <span class=\"flag\">different checks</span>"
        } else {
            ""
        }
    );
    let _ = write!(
        out,
        "<dt>report</dt><dd><code>{}</code></dd><dt>checks</dt><dd><code>{}</code> ({})</dd>",
        esc(&s.source.display().to_string()),
        esc(&s.fingerprint),
        esc(&s.checks_source)
    );
    if let Some(graded) = &s.graded {
        let what = match (&graded.commit, graded.source.as_str()) {
            (Some(commit), "commit") => format!(
                "commit <code>{}</code> of {}",
                esc(commit),
                esc(graded.commit_date.as_deref().unwrap_or("?"))
            ),
            (Some(commit), _) => format!(
                "the working tree, at commit <code>{}</code> of {}",
                esc(commit),
                esc(graded.commit_date.as_deref().unwrap_or("?"))
            ),
            (None, _) => "the working tree (not a git repository)".to_owned(),
        };
        let at = graded
            .at
            .as_deref()
            .map(|at| format!(", as of {}", esc(at)))
            .unwrap_or_default();
        let _ = write!(out, "<dt>graded</dt><dd>{what}{at}</dd>");
        if !graded.late_commits.is_empty() {
            let _ = write!(out, "<dt>late commits</dt><dd><ul class=\"late\">");
            for late in &graded.late_commits {
                let _ = write!(
                    out,
                    "<li><code>{}</code> {} {}</li>",
                    esc(&late.commit.chars().take(10).collect::<String>()),
                    esc(&late.date),
                    esc(&shorten(&late.subject, 100))
                );
            }
            let unlisted = s.n_late().saturating_sub(graded.late_commits.len());
            if unlisted > 0 {
                let _ = write!(out, "<li>… and {unlisted} more</li>");
            }
            out.push_str("</ul></dd>");
        }
    }
    if !s.modified.is_empty() {
        let _ = write!(
            out,
            "<dt>modified files</dt><dd>{}</dd>",
            s.modified
                .iter()
                .map(|m| format!("<code>{}</code>", esc(m)))
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    if let Some(reported) = &s.self_reported {
        let time = reported
            .time_spent_secs
            .map_or_else(|| "not recorded".to_owned(), duration);
        let _ = write!(
            out,
            "<dt class=\"self\">progress file<sup>*</sup></dt><dd class=\"self\">{} hint levels, {time} in watch mode, {} exercises marked done</dd>",
            reported.hints.values().sum::<u64>(),
            reported.done.len()
        );
    }
    out.push_str("</dl>\n");
    let open: Vec<&ExerciseResult> = s
        .exercises
        .iter()
        .filter(|ex| ex.status != Status::Passed)
        .collect();
    if open.is_empty() {
        let _ = writeln!(out, "<p>Every exercise passes.</p></details>");
        return;
    }
    // Every exercise that does not pass, in a line; messages only for the first few, where
    // the student is stuck (the report file has every message): a class of 1,000 stays a
    // page a browser opens at once.
    let _ = write!(out, "<p class=\"open\">Not passing ({}):", open.len());
    for status in Status::ALL {
        let names: Vec<String> = open
            .iter()
            .filter(|ex| ex.status == status)
            .map(|ex| esc(&ex.name))
            .collect();
        if !names.is_empty() {
            let _ = write!(
                out,
                " <span class=\"s-{}\">{}</span> {}.",
                status.letter(),
                status.label(),
                names.join(", ")
            );
        }
    }
    out.push_str("</p>\n");
    let _ = write!(
        out,
        "<table class=\"ex\"><thead><tr><th>exercise</th><th>status</th><th>first failure</th><th class=\"self\">hints<sup>*</sup></th><th>message (the start)</th></tr></thead><tbody>"
    );
    for ex in open.iter().take(MESSAGE_EXERCISES) {
        let hints = s
            .self_reported
            .as_ref()
            .map(|r| {
                let n = r.hints.get(&ex.name).copied().unwrap_or(0);
                let secs = r.time_spent_secs_by_exercise.get(&ex.name);
                match secs {
                    Some(secs) => format!("{n} · {}", duration(*secs)),
                    None => n.to_string(),
                }
            })
            .unwrap_or_else(|| "–".to_owned());
        let _ = write!(
            out,
            "<tr><td>{}</td><td class=\"s-{}\">{}</td><td><code>{}</code></td><td class=\"self\">{hints}</td><td><pre>{}</pre></td></tr>",
            esc(&ex.name),
            ex.status.letter(),
            ex.status.label(),
            esc(&first_failure(ex).unwrap_or_default()),
            esc(&excerpt(&ex.message))
        );
    }
    out.push_str("</tbody></table></details>\n");
}

/// The first few non-empty lines of a message, each cut to a readable length.
fn excerpt(message: &str) -> String {
    let lines: Vec<String> = message
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(MESSAGE_LINES)
        .map(|l| shorten(l, MESSAGE_LINE_CHARS))
        .collect();
    lines.join("\n")
}

fn duration(secs: u64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

const STYLE: &str = r#"
:root{--p:#2e7d32;--c:#c62828;--f:#ef6c00;--t:#6a1b9a;--r:#37474f;--m:#b0bec5;--line:#e0e0e0;--ink:#1f2328;--muted:#656d76}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ink);margin:0 auto;padding:24px 32px;max-width:1400px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:15px;margin:16px 0 6px}
code,pre,.strip{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
pre{margin:0;white-space:pre-wrap;word-break:break-word}
.sub,.hint,.note,small{color:var(--muted)}
.notice{border:1px solid;border-radius:6px;padding:8px 14px;margin:12px 0}.notice h3{margin:4px 0}
.notice.bad{border-color:#f5c2c7;background:#fff5f5}.notice.warn{border-color:#ffe08a;background:#fffbea}
.tiles{display:flex;gap:12px;flex-wrap:wrap}.tile{border:1px solid var(--line);border-radius:8px;padding:10px 16px;min-width:120px}
.tile b{display:block;font-size:26px}.tile span{color:var(--muted)}
.hist{display:flex;align-items:flex-end;gap:6px;height:180px;padding-top:8px;max-width:760px}
.hist .col{flex:1;display:flex;flex-direction:column;justify-content:flex-end;align-items:center;height:100%}
.hist .bar{width:100%;background:#4a7bd0;border-radius:3px 3px 0 0;min-height:1px}
.hist .n{font-weight:600}.hist .l{font-size:11px;color:var(--muted);white-space:nowrap}
table{border-collapse:collapse;width:100%;margin:8px 0}.scroll{overflow-x:auto}
th,td{border-bottom:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
#exercise-table td,#student-table td{white-space:nowrap}#exercise-table td[data-k=top-failure]{white-space:normal}
th{background:#f6f8fa;position:sticky;top:0;font-weight:600;white-space:nowrap}
table.sortable th{cursor:pointer}table.sortable th[aria-sort=ascending]::after{content:" ▲"}table.sortable th[aria-sort=descending]::after{content:" ▼"}
td[data-k=compile_error].some{color:var(--c)}td[data-k=checks_failed].some{color:var(--f)}td[data-k=timed_out].some{color:var(--t)}td[data-k=refused].some{color:var(--r);font-weight:600}
.meter{display:inline-block;width:60px;height:8px;background:#eee;border-radius:4px;margin-right:6px;vertical-align:middle;overflow:hidden}
.meter i{display:block;height:100%;background:var(--p)}.meter.stop i{background:var(--f)}
.self{color:#5b6b8c;font-style:italic}
.strip{white-space:nowrap;letter-spacing:1px}
.c{display:inline-block;width:7px;height:14px;margin-right:1px;border-radius:1px;vertical-align:middle}
.k-p{background:var(--p)}.k-c{background:var(--c)}.k-f{background:var(--f)}.k-t{background:var(--t)}.k-r{background:var(--r)}.k-m{background:var(--m)}.k-x{background:#fff;border:1px dashed var(--m)}
.legend{margin-left:16px;color:var(--muted)}.legend .c{margin:0 3px 0 10px}
.s-p{color:var(--p)}.s-c{color:var(--c)}.s-f{color:var(--f)}.s-t{color:var(--t)}.s-r{color:var(--r)}.s-m{color:var(--muted)}
.flag{display:inline-block;border-radius:10px;padding:0 7px;font-size:12px;background:#eee;margin:1px 0}
.flag.modified{background:#fff3cd}.flag.refused{background:#f8d7da}.flag.late{background:#e2d9f3}
.done{color:var(--p);font-weight:600}
.controls{margin:8px 0}.controls input{padding:4px 8px;width:220px}
details.student{border:1px solid var(--line);border-radius:6px;padding:6px 12px;margin:6px 0}details.student[open]{background:#fcfcfd}
details.student summary{cursor:pointer}details.student:target{outline:2px solid #4a7bd0}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:8px 0}dt{color:var(--muted)}dd{margin:0}
ul.late{margin:0;padding-left:18px}
p.open{margin:6px 0}
"#;

/// Sorting by a column (a click, or `#sort=key` / `#sort=-key` in the address), filtering the
/// students by name and flag (`#show=flagged`), and the status strips drawn from their letters.
const SCRIPT: &str = r#"
(function(){
var names=JSON.parse(document.getElementById('exercise-names').textContent);
var labels={p:'passed',c:'compile error',f:'checks failed',t:'timed out',r:'refused',m:'missing','-':'not graded'};
// One block per run of equal statuses (a class of 1,000 would otherwise be 100,000 elements);
// the exercise under the pointer is named on hover.
document.querySelectorAll('td.strip').forEach(function(td){
  var s=td.getAttribute('data-s');td.textContent='';
  for(var i=0;i<s.length;){var j=i;while(j<s.length&&s[j]===s[i])j++;
    var c=document.createElement('i');c.className='c k-'+(s[i]==='-'?'x':s[i]);c.style.width=(8*(j-i)-1)+'px';c.setAttribute('data-n',j-i);td.appendChild(c);i=j;}
});
document.addEventListener('mousemove',function(e){
  var td=e.target.closest&&e.target.closest('td.strip');if(!td)return;
  var i=Math.floor((e.clientX-td.firstChild.getBoundingClientRect().left)/8),s=td.getAttribute('data-s');
  if(i>=0&&i<s.length)td.title=names[i]+': '+labels[s[i]];
});
function value(td,num){var v=td.hasAttribute('data-v')?td.getAttribute('data-v'):td.textContent.trim();return num?parseFloat(v):v.toLowerCase();}
function sortTable(table,col,desc){
  var th=table.tHead.rows[0].cells[col],num=th.getAttribute('data-type')==='num',body=table.tBodies[0];
  var rows=Array.prototype.slice.call(body.rows);
  rows.sort(function(a,b){var x=value(a.cells[col],num),y=value(b.cells[col],num);var r=num?x-y:(x<y?-1:x>y?1:0);return desc?-r:r;});
  rows.forEach(function(r){body.appendChild(r);});
  Array.prototype.forEach.call(table.tHead.rows[0].cells,function(h){h.removeAttribute('aria-sort');});
  th.setAttribute('aria-sort',desc?'descending':'ascending');
}
document.querySelectorAll('table.sortable').forEach(function(table){
  Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,col){
    th.addEventListener('click',function(){sortTable(table,col,th.getAttribute('aria-sort')==='ascending');});
  });
});
var students=document.getElementById('student-table'),filter=document.getElementById('filter'),show=document.getElementById('show');
function apply(){
  var q=filter.value.toLowerCase(),mode=show.value,n=0;
  Array.prototype.forEach.call(students.tBodies[0].rows,function(r){
    var flags=r.getAttribute('data-flags');
    var ok=r.getAttribute('data-name').toLowerCase().indexOf(q)>=0&&(mode==='all'||(mode==='unfinished'&&r.getAttribute('data-finished')==='0')||(mode==='flagged'&&flags!=='')||(mode==='late'&&flags.indexOf('late')>=0));
    r.hidden=!ok;if(ok)n++;
  });
  document.getElementById('shown').textContent=n+' shown';
}
filter.addEventListener('input',apply);show.addEventListener('change',apply);
function fromHash(){
  var h=location.hash.slice(1);
  if(h.indexOf('student-')===0){var d=document.getElementById(h);if(d)d.open=true;return;}
  h.split('&').forEach(function(part){
    var kv=part.split('='),k=kv[0],v=decodeURIComponent(kv[1]||'');
    if(k==='sort'){var desc=v[0]==='-',key=desc?v.slice(1):v;
      Array.prototype.forEach.call(students.tHead.rows[0].cells,function(th,col){if(th.getAttribute('data-key')===key)sortTable(students,col,desc);});}
    if(k==='show'){show.value=v;}
    if(k==='filter'){filter.value=v;}
  });
  apply();
}
window.addEventListener('hashchange',fromHash);fromHash();
document.body.setAttribute('data-ready-ms',Math.round(performance.now()));
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_student_text_is_escaped() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\"\u{1b}"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }

    #[test]
    fn durations_read_as_a_person_would_say_them() {
        assert_eq!(duration(42), "42s");
        assert_eq!(duration(600), "10m");
        assert_eq!(duration(3725), "1h 02m");
    }
}
