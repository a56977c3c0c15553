//! The class's grades as CSV for a gradebook: one row per student, with the score, the
//! maximum and each exercise's points; a student graded with other checks, or without a
//! report, says so in the last column instead of being left out silently.

use std::fmt::Write;

use super::{Class, Student, short_fingerprint};

pub fn grades(class: &Class) -> String {
    let mut out = String::new();
    let mut header: Vec<String> = vec!["student".into(), "score".into(), "max_score".into()];
    header.extend(class.columns.iter().map(|c| c.name.clone()));
    header.extend(["graded_commit".into(), "late_commits".into(), "note".into()]);
    line(&mut out, &header);
    for s in &class.students {
        row(&mut out, class, s, String::new());
    }
    for s in &class.other_checks {
        let note = format!(
            "graded with different checks ({}, not {}): not comparable",
            short_fingerprint(&s.fingerprint),
            short_fingerprint(&class.fingerprint)
        );
        row(&mut out, class, s, note);
    }
    for name in &class.no_report {
        let mut fields = vec![name.clone(), String::new(), String::new()];
        fields.extend(class.columns.iter().map(|_| String::new()));
        fields.extend([String::new(), String::new(), "no report".into()]);
        line(&mut out, &fields);
    }
    out
}

fn row(out: &mut String, class: &Class, s: &Student, note: String) {
    let mut fields = vec![s.name.clone(), s.score.to_string(), s.max_score.to_string()];
    fields.extend(
        s.by_column(&class.columns)
            .into_iter()
            .map(|ex| ex.map_or_else(String::new, |ex| ex.points.to_string())),
    );
    let graded = s.graded.as_ref();
    fields.push(graded.and_then(|g| g.commit.clone()).unwrap_or_default());
    fields.push(s.n_late().to_string());
    fields.push(note);
    line(out, &fields);
}

fn line(out: &mut String, fields: &[String]) {
    let cells: Vec<String> = fields.iter().map(|f| field(f)).collect();
    let _ = write!(out, "{}\r\n", cells.join(","));
}

/// One CSV field (RFC 4180), defused for spreadsheets: a cell starting with `=`, `+`, `-` or
/// `@` would be read as a formula, so it gets a leading `'`.
fn field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_defused() {
        assert_eq!(field("alice"), "alice");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }
}
