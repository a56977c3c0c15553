// Checks for io1: reading lines from a stream.
//
// The checks script the stream (which bytes each read returns, with pauses) and record each
// line handed over with the virtual time it was.
//
// Mistakes a learner makes on this idea, and how each is caught:
// - Splitting each chunk on '\n' (as shipped): lines cut between reads come out in pieces.
// - Decoding each chunk alone: a character split between reads comes out as U+FFFD.
// - Forgetting the leftover at the end of the stream: the last line without a newline.
// - `read_line` without clearing the String: a line holds several lines.
// - Removing '\n' only: '\r' left at the end of CRLF lines.
// - `read_line` plus `trim_end()` (or `trim()`): spaces and tabs that belong to the line
//   are eaten; lines ending in spaces and tabs, and one that is only spaces, are checked.
// - A BufReader (or Lines) made anew inside the loop: the bytes it read ahead are lost with
//   it; the message names the dropped buffer rather than a missing newline.
// - Reading everything first, then handling the lines: each line must be handed over at the
//   virtual time its line ending arrived.
// - Hard-coding: inputs are the checks' own.

use super::for_each_line;

use std::time::Duration;

use asynclings_support::watchdog;
use tokio::time::Instant;
use tokio_test::io::Builder;

const LIMIT: Duration = Duration::from_secs(10);

/// A scripted stream: each `Some(bytes)` arrives as one read, each `None` is a 30ms pause.
/// The stream ends after the last piece.
fn stream(script: &[Option<&[u8]>]) -> tokio_test::io::Mock {
    let mut builder = Builder::new();
    for piece in script {
        match piece {
            Some(bytes) => builder.read(bytes),
            None => builder.wait(Duration::from_millis(30)),
        };
    }
    builder.build()
}

/// Feeds the script to `for_each_line`; returns each line handed over and the virtual time
/// (in ms since the start) at which it was.
async fn lines_of(script: &[Option<&[u8]>]) -> Vec<(String, u64)> {
    let start = Instant::now();
    let mut got = Vec::new();
    let result = watchdog(
        LIMIT,
        "for_each_line",
        for_each_line(stream(script), |line: String| {
            got.push((line, start.elapsed().as_millis() as u64))
        }),
    )
    .await;
    if let Err(err) = result {
        panic!("for_each_line returned an error on valid input: {err}");
    }
    got
}

/// A line as shown in a message: long lines are cut short.
fn short(line: &str) -> String {
    match line.char_indices().nth(24) {
        Some((end, _)) => format!("{}...({} bytes)", &line[..end], line.len()),
        None => line.to_string(),
    }
}

/// Compares the lines handed over with the expected ones, saying what went wrong.
/// Whether `got` is `want` with some lines left out (the rest in order).
fn is_subsequence(got: &[&str], want: &[&str]) -> bool {
    let mut want = want.iter();
    got.iter().all(|g| want.any(|w| w == g))
}

fn assert_lines(input: &str, got: &[(String, u64)], expected: &[(&str, u64)]) {
    let got_lines: Vec<&str> = got.iter().map(|(l, _)| l.as_str()).collect();
    let want_lines: Vec<&str> = expected.iter().map(|&(l, _)| l).collect();
    let shown = format!(
        "For the input {input:?}, arriving in pieces, for_each_line handed over {:?}; expected \
         {:?}",
        got_lines.iter().map(|l| short(l)).collect::<Vec<_>>(),
        want_lines.iter().map(|l| short(l)).collect::<Vec<_>>(),
    );
    if got_lines != want_lines {
        let trimmed = got_lines
            .iter()
            .zip(&want_lines)
            .find(|(g, w)| g != w && w.trim_end() == **g);
        let why = if let Some((got_line, want_line)) = trimmed {
            format!(
                "{got_line:?} should be {want_line:?}: the spaces and tabs at the end belong to \
                 the line. Only the line ending (\"\\n\" or \"\\r\\n\") is removed; \
                 `trim_end()` removes every kind of white space (`lines()` removes just the \
                 line ending)"
            )
        } else if let Some(line) = got_lines.iter().find(|l| l.ends_with('\r')) {
            format!(
                "{line:?} still ends with '\\r': a line may end with \"\\r\\n\", and the whole \
                 line ending is not part of the line (`lines()` removes both)"
            )
        } else if let Some(line) = got_lines.iter().find(|l| l.contains('\n')) {
            format!(
                "{line:?} holds more than one line: `read_line` appends to the `String` it is \
                 given, so clear it before each call (or use `lines()`)"
            )
        } else if got_lines.len() + 1 == want_lines.len()
            && want_lines.starts_with(&got_lines)
            && !input.ends_with('\n')
        {
            "the last line, which no newline follows, was never handed over: at the end of the \
             stream, what is left over is a line too"
                .to_string()
        } else if got_lines.len() < want_lines.len() && is_subsequence(&got_lines, &want_lines) {
            let missing: Vec<&str> = want_lines
                .iter()
                .filter(|w| !got_lines.contains(w))
                .copied()
                .collect();
            format!(
                "these lines went missing: {missing:?}. A `BufReader` reads ahead: its buffer \
                 can hold the lines after the one it hands over, and they are lost with it when \
                 it is dropped (a BufReader or `lines()` made inside the loop, or for each \
                 read). Make it once, before the loop"
            )
        } else if got_lines.concat() == want_lines.concat() {
            "some lines were cut in two where one read ended and the next began. A read returns \
             whatever bytes have arrived; keep the unfinished end of a line until its newline \
             comes (a `BufReader` and its `lines()` do that)"
                .to_string()
        } else if got_lines.iter().any(|l| l.contains('\u{FFFD}')) {
            "a character came out as '\u{FFFD}': a character of several bytes was split between \
             two reads and each half was decoded alone. Decode whole lines only (`lines()` does)"
                .to_string()
        } else {
            "every line should be handed over once, whole, in order".to_string()
        };
        panic!("{shown}: {why}");
    }
    for ((line, at), &(_, want_at)) in got.iter().zip(expected) {
        assert_eq!(
            *at,
            want_at,
            "{shown}, which is right, but {:?} was handed over at {at}ms of virtual time, \
             although it was complete at {want_at}ms: is the whole input read before the lines \
             are handled? Each line should go to `handle` as soon as its line ending arrives",
            short(line)
        );
    }
}

#[tokio::test(start_paused = true)]
async fn lines_cut_between_reads_arrive_whole() {
    let got = lines_of(&[
        Some(b"PUT /x 12\nPUT /y"),
        Some(b" 40\nDEL /x\nSTA"),
        Some(b"TS\n"),
    ])
    .await;
    assert_lines(
        "PUT /x 12\nPUT /y 40\nDEL /x\nSTATS\n",
        &got,
        &[
            ("PUT /x 12", 0),
            ("PUT /y 40", 0),
            ("DEL /x", 0),
            ("STATS", 0),
        ],
    );
}

#[tokio::test(start_paused = true)]
async fn each_line_is_handled_as_soon_as_it_is_complete() {
    let got = lines_of(&[
        Some(b"HELO relay\nMAIL FR"),
        None,
        Some(b"OM:<ann@mail.test>\n"),
        None,
        None,
        Some(b"DATA\n"),
    ])
    .await;
    assert_lines(
        "HELO relay\nMAIL FROM:<ann@mail.test>\nDATA\n",
        &got,
        &[
            ("HELO relay", 0),
            ("MAIL FROM:<ann@mail.test>", 30),
            ("DATA", 90),
        ],
    );
}

#[tokio::test(start_paused = true)]
async fn the_last_line_needs_no_newline() {
    let got = lines_of(&[Some(b"first\nsec"), None, Some(b"ond\n\nlast")]).await;
    assert_lines(
        "first\nsecond\n\nlast",
        &got,
        &[("first", 0), ("second", 30), ("", 30), ("last", 30)],
    );
}

#[tokio::test(start_paused = true)]
async fn crlf_line_endings_are_removed() {
    let got = lines_of(&[Some(b"user bob\r\npass hunter2\r"), Some(b"\nquit\r\n")]).await;
    assert_lines(
        "user bob\r\npass hunter2\r\nquit\r\n",
        &got,
        &[("user bob", 0), ("pass hunter2", 0), ("quit", 0)],
    );
}

#[tokio::test(start_paused = true)]
async fn a_character_split_between_reads_survives() {
    // "é" is two bytes in UTF-8 (0xC3 0xA9); here a read ends between them.
    let got = lines_of(&[Some(b"caf\xC3"), Some(b"\xA9 cr\xC3\xA8me\n")]).await;
    assert_lines("café crème\n", &got, &[("café crème", 0)]);
}

#[tokio::test(start_paused = true)]
async fn a_long_line_in_many_pieces() {
    let line = "x".repeat(700) + "y";
    let bytes = format!("{line}\nend\n");
    let pieces: Vec<Option<&[u8]>> = bytes.as_bytes().chunks(90).map(Some).collect();
    let got = lines_of(&pieces).await;
    assert_lines(
        "(700 x, a y)\nend\n",
        &got,
        &[(line.as_str(), 0), ("end", 0)],
    );
}

#[tokio::test(start_paused = true)]
async fn an_empty_stream_has_no_lines() {
    let got = lines_of(&[]).await;
    assert!(
        got.is_empty(),
        "for an empty stream, for_each_line handed over {got:?}; expected no lines at all"
    );
}

#[tokio::test(start_paused = true)]
async fn spaces_and_tabs_at_the_end_belong_to_the_line() {
    let got = lines_of(&[
        Some(b"key: value \t\n  indented  \r\n"),
        None,
        Some(b"   \ntab\t"),
    ])
    .await;
    assert_lines(
        "key: value \t\n  indented  \r\n   \ntab\t",
        &got,
        &[
            ("key: value \t", 0),
            ("  indented  ", 0),
            ("   ", 30),
            ("tab\t", 30),
        ],
    );
}

#[tokio::test(start_paused = true)]
async fn many_lines_in_one_read() {
    let text: String = (0..40).map(|i| format!("row {i};\n")).collect();
    let got = lines_of(&[Some(text.as_bytes()), None, Some(b"tail\n")]).await;
    let rows: Vec<String> = (0..40).map(|i| format!("row {i};")).collect();
    let mut expected: Vec<(&str, u64)> = rows.iter().map(|r| (r.as_str(), 0)).collect();
    expected.push(("tail", 30));
    assert_lines("(40 rows in one read, then a tail)\n", &got, &expected);
}
