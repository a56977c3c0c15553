//! The grade report in each format: `human`, `json` (our own schema), `classroom` (GitHub
//! Classroom's autograding result), `exercism` (results.json version 3) and `junit` (XML).

use std::fmt::Write;

use anyhow::Result;
use serde_json::{Value, json};

use super::{ExerciseResult, Report, Status};
use crate::term;

/// The version of our own JSON schema (docs/teachers.md describes it).
pub const JSON_SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Classroom,
    Exercism,
    Junit,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Human,
        Format::Json,
        Format::Classroom,
        Format::Exercism,
        Format::Junit,
    ];

    /// The file each format is written to by `grade --out-dir`.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Human => "report.txt",
            Format::Json => "report.json",
            Format::Classroom => "classroom.json",
            Format::Exercism => "exercism.json",
            Format::Junit => "junit.xml",
        }
    }

    pub fn render(self, report: &Report) -> Result<String> {
        Ok(match self {
            Format::Human => human(report),
            Format::Json => pretty(&json_report(report))?,
            Format::Classroom => pretty(&classroom(report))?,
            Format::Exercism => pretty(&exercism(report))?,
            Format::Junit => junit(report),
        })
    }
}

fn pretty(value: &Value) -> Result<String> {
    Ok(serde_json::to_string_pretty(value)? + "\n")
}

fn human(report: &Report) -> String {
    let width = report
        .exercises
        .iter()
        .map(|ex| ex.name.len())
        .max()
        .unwrap_or(4);
    let mut out = String::new();
    for ex in &report.exercises {
        let mark = if ex.status == Status::Passed {
            term::green("✓")
        } else {
            term::red("✗")
        };
        let _ = writeln!(
            out,
            "{mark} {:<width$}  {:>3}/{:<3} {}",
            ex.name,
            ex.points,
            ex.max_points,
            ex.status.label()
        );
    }
    let failed: Vec<&ExerciseResult> = report
        .exercises
        .iter()
        .filter(|ex| ex.status != Status::Passed)
        .collect();
    if !failed.is_empty() {
        out += "\nWhat failed, in short:\n";
        for ex in failed {
            let summary: Vec<&str> = ex
                .message
                .lines()
                .filter(|l| !l.trim().is_empty())
                .take(3)
                .collect();
            let _ = writeln!(out, "  {}:\n    {}", ex.name, summary.join("\n    "));
        }
    }
    if !report.modified.is_empty() {
        out += "\nFiles that differ from the teacher's (graded with the teacher's instead):\n";
        for file in &report.modified {
            let _ = writeln!(out, "  {file}");
        }
    }
    let _ = writeln!(out, "\n{}", report.graded.describe());
    if report.graded.n_late > 0 {
        let _ = writeln!(
            out,
            "Commits after it, not graded ({}; dated by the student's machine):",
            report.graded.n_late
        );
        for commit in &report.graded.late_commits {
            let _ = writeln!(
                out,
                "  {} {} {}",
                &commit.hash[..commit.hash.len().min(12)],
                commit.date,
                commit.subject
            );
        }
        if report.graded.n_late > report.graded.late_commits.len() {
            let _ = writeln!(
                out,
                "  … and {} more",
                report.graded.n_late - report.graded.late_commits.len()
            );
        }
    }
    if let Some(reported) = &report.self_reported {
        let _ = writeln!(
            out,
            "Self-reported in the progress file (the student's to edit, not points): {} hint levels, {} minutes in watch mode, {} exercises marked done.",
            reported.hints.values().sum::<u64>(),
            reported.time_spent_secs.unwrap_or(0) / 60,
            reported.done.len()
        );
    }
    let passed = report
        .exercises
        .iter()
        .filter(|ex| ex.status == Status::Passed)
        .count();
    let _ = writeln!(
        out,
        "\nScore: {} of {} points ({passed} of {} exercises pass). Checks: {} ({}).",
        report.score,
        report.max_score,
        report.exercises.len(),
        report.checks_source,
        report.checks_fingerprint
    );
    out
}

fn json_report(report: &Report) -> Value {
    json!({
        "schema": "asynclings-grade",
        "version": JSON_SCHEMA_VERSION,
        "score": report.score,
        "max_score": report.max_score,
        "passed": report.exercises.iter().filter(|ex| ex.status == Status::Passed).count(),
        "total": report.exercises.len(),
        "checks": { "source": report.checks_source, "fingerprint": report.checks_fingerprint },
        "modified_files": report.modified,
        "graded": graded(report),
        "self_reported": report.self_reported.as_ref().map(|r| json!({
            "hints": r.hints,
            "time_spent_secs": r.time_spent_secs,
            "time_spent_secs_by_exercise": r.time_spent_secs_by_exercise,
            "done": r.done,
        })),
        "exercises": report.exercises.iter().map(|ex| json!({
            "name": ex.name,
            "topic": ex.topic,
            "path": ex.path,
            "status": ex.status.as_str(),
            "points": ex.points,
            "max_points": ex.max_points,
            "duration_ms": ex.duration.as_millis() as u64,
            "message": ex.message,
            "timelines": ex.timelines.iter().map(|(check, timeline)| {
                let mut value = json!({ "check": check });
                value["recorded"] = json!(timeline.recorded);
                if let Some(expected) = &timeline.expected {
                    value["expected"] = json!(expected);
                }
                value
            }).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// Which commit was graded: in every JSON format, so that a grade can be traced to a commit.
fn graded(report: &Report) -> Value {
    let graded = &report.graded;
    let commit =
        |c: &super::at::Commit| json!({"commit": c.hash, "date": c.date, "subject": c.subject});
    json!({
        "source": graded.source(),
        "commit": graded.commit.as_ref().map(|c| c.hash.clone()),
        "commit_date": graded.commit.as_ref().map(|c| c.date.clone()),
        "subject": graded.commit.as_ref().map(|c| c.subject.clone()),
        "at": graded.at,
        "n_late_commits": graded.n_late,
        "late_commits": graded.late_commits.iter().map(commit).collect::<Vec<_>>(),
    })
}

/// A test's status in the classroom and exercism formats: a compile error is an error of the
/// test, anything else that is not a pass a failure.
fn test_status(status: Status) -> &'static str {
    match status {
        Status::Passed => "pass",
        Status::CompileError => "error",
        _ => "fail",
    }
}

/// The result object that GitHub Classroom's autograding reporter reads (`version` 1).
fn classroom(report: &Report) -> Value {
    let status = if report.all_passed() { "pass" } else { "fail" };
    json!({
        "version": 1,
        "status": status,
        "max_score": report.max_score,
        "graded": graded(report),
        "tests": report.exercises.iter().map(|ex| json!({
            "name": ex.name,
            "status": test_status(ex.status),
            "score": ex.points,
            "max_score": ex.max_points,
            "message": if ex.status == Status::Passed { "passed".to_owned() } else { ex.message.clone() },
            "test_code": format!("asynclings run {}", ex.name),
            "filename": ex.path,
            "line_no": 0,
            "duration": ex.duration.as_millis() as u64,
        })).collect::<Vec<_>>(),
    })
}

/// Exercism's test runner interface, results.json version 3.
fn exercism(report: &Report) -> Value {
    let status = if report.all_passed() { "pass" } else { "fail" };
    json!({
        "version": 3,
        "status": status,
        "message": Value::Null,
        "graded": graded(report),
        "tests": report.exercises.iter().map(|ex| json!({
            "name": ex.name,
            "status": test_status(ex.status),
            "message": if ex.status == Status::Passed { Value::Null } else { Value::String(ex.message.clone()) },
            "output": Value::Null,
            "test_code": format!("asynclings run {}", ex.name),
            "task_id": ex.topic_index,
        })).collect::<Vec<_>>(),
    })
}

fn junit(report: &Report) -> String {
    let count = |exercises: &[&ExerciseResult], wanted: &[Status]| {
        exercises
            .iter()
            .filter(|ex| wanted.contains(&ex.status))
            .count()
    };
    const FAILURES: &[Status] = &[
        Status::ChecksFailed,
        Status::TimedOut,
        Status::Refused,
        Status::Missing,
    ];
    const ERRORS: &[Status] = &[Status::CompileError];
    let all: Vec<&ExerciseResult> = report.exercises.iter().collect();
    let total_time: f64 = all.iter().map(|ex| ex.duration.as_secs_f64()).sum();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"asynclings\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{total_time:.3}\">",
        all.len(),
        count(&all, FAILURES),
        count(&all, ERRORS)
    );
    let mut topics: Vec<&str> = Vec::new();
    for ex in &all {
        if !topics.contains(&ex.topic.as_str()) {
            topics.push(&ex.topic);
        }
    }
    for topic in topics {
        let members: Vec<&ExerciseResult> =
            all.iter().copied().filter(|ex| ex.topic == topic).collect();
        let time: f64 = members.iter().map(|ex| ex.duration.as_secs_f64()).sum();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\" time=\"{time:.3}\">",
            xml(topic),
            members.len(),
            count(&members, FAILURES),
            count(&members, ERRORS)
        );
        let _ = writeln!(
            out,
            "    <properties>\n      <property name=\"score\" value=\"{}\"/>\n      <property name=\"max_score\" value=\"{}\"/>\n      <property name=\"checks_fingerprint\" value=\"{}\"/>\n{}    </properties>",
            members.iter().map(|ex| ex.points).sum::<u32>(),
            members.iter().map(|ex| ex.max_points).sum::<u32>(),
            xml(&report.checks_fingerprint),
            graded_properties(report)
        );
        for ex in members {
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"asynclings.{}\" file=\"{}\" time=\"{:.3}\"",
                xml(&ex.name),
                xml(topic),
                xml(&ex.path),
                ex.duration.as_secs_f64()
            );
            let element = match ex.status {
                Status::Passed => {
                    out += "/>\n";
                    continue;
                }
                Status::CompileError => "error",
                _ => "failure",
            };
            let _ = writeln!(
                out,
                ">\n      <{element} type=\"{}\" message=\"{}\">{}</{element}>\n    </testcase>",
                ex.status.as_str(),
                xml(ex.status.label()),
                xml(&ex.message)
            );
        }
        out += "  </testsuite>\n";
    }
    out += "</testsuites>\n";
    out
}

/// Which commit was graded, as JUnit properties.
fn graded_properties(report: &Report) -> String {
    let graded = &report.graded;
    let mut properties = vec![("graded_source", graded.source().to_owned())];
    if let Some(commit) = &graded.commit {
        properties.push(("graded_commit", commit.hash.clone()));
        properties.push(("graded_commit_date", commit.date.clone()));
    }
    if let Some(at) = &graded.at {
        properties.push(("graded_at", at.clone()));
        properties.push(("late_commits", graded.n_late.to_string()));
    }
    properties
        .into_iter()
        .map(|(name, value)| {
            format!(
                "      <property name=\"{name}\" value=\"{}\"/>\n",
                xml(&value)
            )
        })
        .collect()
}

/// Text escaped for XML, without the control characters XML 1.0 cannot hold.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out += "&amp;",
            '<' => out += "&lt;",
            '>' => out += "&gt;",
            '"' => out += "&quot;",
            '\'' => out += "&apos;",
            '\t' | '\n' | '\r' => out.push(c),
            // XML 1.0 has no place for other control characters or these two.
            c if c.is_control() || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_escapes_markup_and_drops_control_characters() {
        assert_eq!(
            xml("a<b & \"c\"\u{1b}[31m"),
            "a&lt;b &amp; &quot;c&quot;[31m"
        );
    }
}
