//! Runs the real `asynclings` binary on small fixture workbooks under `tests/fixtures/`.

mod support;

mod class_report;
mod curriculum;
mod dev;
mod diagnostics;
mod forgery;
mod grade;
mod info_errors;
mod progress;
mod reset;
mod run;
mod rustlings_format;
mod watch;
mod workspace;
