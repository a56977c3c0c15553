// Mistakes learners make when framing a byte stream, and how each is caught:
// - parsing one read as one command (the shipped code): a command arrives in pieces at
//   uneven times, byte by byte, and through a 16-byte pipe; each must come out whole, at the
//   moment its last byte arrives.
// - a buffer local to `read_command` (loops until a command is complete, then drops the
//   rest): several commands arrive in one write; every one must come out, in order.
// - reading before looking at what is buffered: the second of two commands that arrived
//   together must come out at once, with nothing more to read (the writer stays open).
// - a partial command kept in a local (`read_line` then `read_exact`, a local `Vec`, bytes
//   read one at a time): `read_command` is raced against a timer in a `select!` loop and
//   cancelled many times mid-command; every command must still come out intact.
// - a half command at hang-up taken for a clean end: it must be an error.
// - splitting on newlines only: values hold newlines and spaces (the length decides).
// - hard-coding: keys, values and timings are not the exercise's.

use super::{Command, Framed};

use std::io;
use std::time::Duration;

use asynclings_support::watchdog;
use tokio::io::{AsyncWriteExt, DuplexStream};
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(60);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A command as plain text, so that no `PartialEq` of the learner's decides a comparison.
fn describe(command: Command) -> String {
    match command {
        Command::Get { key } => format!("get {key:?}"),
        Command::Set { key, value } => format!("set {key:?} = {value:?}"),
        Command::Publish { channel, message } => format!("publish {channel:?}: {message:?}"),
        Command::Subscribe { channel } => format!("subscribe {channel:?}"),
    }
}

/// Writes each piece at its time (milliseconds from now), then hangs up if `hang_up`.
fn feed(mut client: DuplexStream, pieces: Vec<(u64, Vec<u8>)>, hang_up: bool) {
    let start = Instant::now();
    tokio::spawn(async move {
        for (at, piece) in pieces {
            tokio::time::sleep_until(start + ms(at)).await;
            client.write_all(&piece).await.unwrap();
        }
        if hang_up {
            drop(client);
        } else {
            // Stay connected, sending nothing more.
            std::future::pending::<()>().await;
        }
    });
}

/// Reads commands until the end of the stream or an error; each with its virtual time.
async fn read_all(framed: &mut Framed<DuplexStream>) -> (Vec<(Duration, String)>, Option<String>) {
    let start = Instant::now();
    let mut got = Vec::new();
    loop {
        let next: io::Result<Option<Command>> =
            watchdog(LIMIT, "read_command", framed.read_command()).await;
        match next {
            Ok(Some(command)) => got.push((start.elapsed(), describe(command))),
            Ok(None) => return (got, None),
            Err(err) => return (got, Some(err.to_string())),
        }
    }
}

fn set(key: &str, value: &str) -> String {
    format!("SET {key} {}\n{value}", value.len())
}

#[tokio::test(start_paused = true)]
async fn a_command_split_across_reads_comes_out_whole_when_its_last_byte_arrives() {
    let (client, server) = tokio::io::duplex(4096);
    let pieces: Vec<(u64, Vec<u8>)> = vec![
        (0, b"SE".to_vec()),
        (7, b"T tide 9\nhigh".to_vec()),
        (19, b" at\n6".to_vec()),
        (23, b"GET ti".to_vec()),
        (41, b"de\nSUBSCRIBE harbour".to_vec()),
        (58, b"\n".to_vec()),
    ];
    feed(client, pieces, true);
    let mut framed = Framed::new(server);
    let (got, error) = read_all(&mut framed).await;
    let expected = vec![
        (ms(19), "set \"tide\" = \"high at\\n6\"".to_string()),
        (ms(41), "get \"tide\"".to_string()),
        (ms(58), "subscribe \"harbour\"".to_string()),
    ];
    assert_eq!(
        got, expected,
        "the client sent three commands in six pieces (\"SE\", \"T tide 9\\nhigh\", \
         \" at\\n6\", ...); read_command must return each command whole, at the virtual time \
         its last byte arrived (shown with each command). One read is not one command: keep \
         what was read in the struct's buffer, and read more until the buffer holds a whole \
         command"
    );
    assert_eq!(
        error, None,
        "the client hung up cleanly after its last command, so read_command must end with \
         Ok(None)"
    );
}

#[tokio::test(start_paused = true)]
async fn several_commands_in_one_read_all_come_out_in_order() {
    let (client, server) = tokio::io::duplex(4096);
    let burst = format!(
        "GET lamp\n{}PUBLISH alerts 10\nfire\ndrill{}SUBSCRIBE alerts\n",
        set("lamp", "on"),
        set("mood", "")
    );
    feed(client, vec![(3, burst.into_bytes())], true);
    let mut framed = Framed::new(server);
    let (got, error) = read_all(&mut framed).await;
    let got: Vec<String> = got.into_iter().map(|(_, c)| c).collect();
    let expected = vec![
        "get \"lamp\"",
        "set \"lamp\" = \"on\"",
        "publish \"alerts\": \"fire\\ndrill\"",
        "set \"mood\" = \"\"",
        "subscribe \"alerts\"",
    ];
    assert_eq!(
        got, expected,
        "five commands arrived in one write; read_command must return all five, in order. \
         The bytes after the first command belong to the next ones: keep them in the \
         struct's buffer instead of dropping them with a local buffer"
    );
    assert_eq!(
        error, None,
        "the client hung up cleanly after its last command"
    );
}

#[tokio::test(start_paused = true)]
async fn a_command_already_buffered_comes_out_without_waiting_for_more_input() {
    let (client, server) = tokio::io::duplex(4096);
    let burst = format!("{}GET kettle\n", set("kettle", "boiling"));
    // The client stays connected and sends nothing more.
    feed(client, vec![(0, burst.into_bytes())], false);
    let mut framed = Framed::new(server);
    let first = watchdog(LIMIT, "the first read_command", framed.read_command()).await;
    let first: Option<String> = first.expect("a valid command").map(describe);
    assert_eq!(
        first.as_deref(),
        Some("set \"kettle\" = \"boiling\""),
        "the first of two commands that arrived together"
    );
    let second = tokio::time::timeout(ms(500), framed.read_command()).await;
    let Ok(second) = second else {
        panic!(
            "two commands arrived together and the first was returned, but the second call \
             of read_command waited for more input although the whole second command was \
             already read (and the client sends nothing more): look for a complete command in \
             the buffer *before* reading from the stream"
        )
    };
    let second: Option<String> = second.expect("a valid command").map(describe);
    assert_eq!(
        second.as_deref(),
        Some("get \"kettle\""),
        "the second command"
    );
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_read_command_loses_nothing() {
    // Commands trickle in a few bytes at a time while the reader races read_command against a
    // 3ms timer in a select! loop, so read_command is cancelled again and again mid-command.
    let mut text = String::new();
    let mut expected = Vec::new();
    for i in 0..12 {
        match i % 3 {
            0 => {
                let value = format!("v{i} with spaces\nand a newline");
                text.push_str(&set(&format!("key{i}"), &value));
                expected.push(format!("set \"key{i}\" = {value:?}"));
            }
            1 => {
                text.push_str(&format!("GET key{}\n", i - 1));
                expected.push(format!("get \"key{}\"", i - 1));
            }
            _ => {
                let message = format!("message {i}");
                text.push_str(&format!("PUBLISH room{i} {}\n{message}", message.len()));
                expected.push(format!("publish \"room{i}\": {message:?}"));
            }
        }
    }
    let bytes = text.into_bytes();
    let mut pieces = Vec::new();
    let (mut at, mut i, mut step) = (0u64, 0usize, 0usize);
    while i < bytes.len() {
        let len = [3, 1, 5, 2, 7][step % 5].min(bytes.len() - i);
        pieces.push((at, bytes[i..i + len].to_vec()));
        i += len;
        at += [5, 2, 11, 4][step % 4];
        step += 1;
    }
    let (client, server) = tokio::io::duplex(4096);
    feed(client, pieces, true);
    let mut framed = Framed::new(server);
    let mut got = Vec::new();
    let mut cancelled = 0;
    let end = watchdog(LIMIT, "the select! loop around read_command", async {
        loop {
            tokio::select! {
                next = framed.read_command() => match next {
                    Ok(Some(command)) => got.push(describe(command)),
                    Ok(None) => return None,
                    Err(err) => return Some(err.to_string()),
                },
                _ = tokio::time::sleep(ms(3)) => cancelled += 1,
            }
        }
    })
    .await;
    assert!(
        got == expected && end.is_none(),
        "read_command was raced against a timer in a select! loop (as later steps do), and \
         dropped {cancelled} times before it finished; the commands that came out were \
         {got:?}, ending with {end:?}, instead of {expected:?} ending cleanly. A future that \
         is dropped loses its local variables: whatever it had read into a local buffer (or \
         into a `read_line` or `read_exact` in progress) is gone. Keep the partial command in \
         `self.buffer`, and let the only await be a cancel-safe `read`"
    );
    assert!(
        cancelled > 20,
        "(the checks' own timer should have won many times)"
    );
}

#[tokio::test(start_paused = true)]
async fn a_large_value_through_a_small_pipe() {
    let value: String = (0..3000)
        .map(|i| match i % 97 {
            0 => '\n',
            n if n % 7 == 0 => ' ',
            n => char::from(b'a' + (n % 26) as u8),
        })
        .collect();
    // The pipe holds 16 bytes, so the reader gets them 16 at a time at most.
    let (client, server) = tokio::io::duplex(16);
    let text = format!("{}GET novel\n", set("novel", &value));
    feed(client, vec![(0, text.into_bytes())], true);
    let mut framed = Framed::new(server);
    let (got, error) = read_all(&mut framed).await;
    let got: Vec<String> = got.into_iter().map(|(_, c)| c).collect();
    let expected = vec![
        format!("set \"novel\" = {value:?}"),
        "get \"novel\"".to_string(),
    ];
    assert!(
        got == expected && error.is_none(),
        "a 3000-byte value (with spaces and newlines) came through a pipe that holds 16 bytes, \
         so it arrived in many small reads; read_command must gather them until the buffer \
         holds the whole value (its length says how many bytes). Got {} command(s) ({:?}...), \
         ending with {error:?}",
        got.len(),
        got.iter()
            .map(|c| c.chars().take(40).collect::<String>())
            .collect::<Vec<_>>()
    );
}

#[tokio::test(start_paused = true)]
async fn a_half_command_at_hang_up_is_an_error() {
    let (client, server) = tokio::io::duplex(4096);
    feed(
        client,
        vec![(0, b"GET a\n".to_vec()), (4, b"SET b 10\nonly".to_vec())],
        true,
    );
    let mut framed = Framed::new(server);
    let (got, error) = read_all(&mut framed).await;
    let got: Vec<String> = got.into_iter().map(|(_, c)| c).collect();
    assert_eq!(got, vec!["get \"a\"".to_string()], "the one whole command");
    assert!(
        error.is_some(),
        "the client hung up after sending half a command (\"SET b 10\\nonly\": 4 of the 10 \
         bytes of its value); read_command returned Ok(None), which says \"the client hung \
         up between commands\". Bytes left in the buffer at the end of the stream are a \
         truncated command: return an error"
    );

    let (client, server) = tokio::io::duplex(4096);
    feed(client, vec![(2, b"FETCH a\n".to_vec())], true);
    let mut framed = Framed::new(server);
    let (got, error) = read_all(&mut framed).await;
    assert!(
        got.is_empty() && error.is_some(),
        "\"FETCH a\\n\" is not a command: parse_command's error must come out of read_command"
    );
}
