//! A broken workbook gets one clear message naming the file and place, never a panic.

use crate::support::Workbook;

#[test]
fn a_malformed_info_file_names_line_and_column() {
    let wb = Workbook::fixture("basic");
    let info =
        wb.read("info.toml")
            .replacen("hints = [\"double it\"]", "hnits = [\"double it\"]", 1);
    wb.write("info.toml", &info);
    let line = info.lines().position(|l| l.starts_with("hnits")).unwrap() + 1;
    wb.run(["list"]).fails().clean_error().stderr_has(&format!(
        "info.toml:{line}:1: unknown field `hnits`, expected one of"
    ));
}

#[test]
fn a_toml_syntax_error_is_located() {
    let wb = Workbook::fixture("basic");
    wb.write(
        "info.toml",
        "format_version = 1\n[[exercises]\nname = \"x\"\n",
    );
    wb.run(["run"])
        .fails()
        .clean_error()
        .stderr_has("info.toml:2:");
}

#[test]
fn a_duplicate_exercise_is_named() {
    let wb = Workbook::fixture("basic");
    let info = wb
        .read("info.toml")
        .replace("name = \"fake1\"", "name = \"exit1\"");
    wb.write("info.toml", &info);
    wb.run(["list"])
        .fails()
        .clean_error()
        .stderr_has("duplicate exercise name `exit1`: it is already listed on line");
}

#[test]
fn outside_a_workbook_says_where_to_run() {
    let wb = Workbook::fixture("basic");
    wb.remove("info.toml");
    wb.run(["list"])
        .fails()
        .clean_error()
        .stderr_has("no `info.toml` in")
        .stderr_has("root of the workbook");
}
