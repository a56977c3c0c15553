// expect: waited for more input although
// capstone1: framing a byte stream
//
// The capstone builds a small key-value and publish/subscribe server, in the spirit of Mini
// Redis, one step per exercise. Each step starts from the previous step's solution and adds
// one part. This first part reads commands off a connection.
//
// A connection is a byte stream, not a sequence of messages. The client writes
// "GET colour\n" and the server may read "GE", then "T col", then "our\n"; or it may read
// "GET colour\nSET size 2\n4" in one go: a whole command and part of the next. Where one
// command ends and the next begins is for the *protocol* to say (framing), and the reader
// must cope with any split:
//
//     reads: "GE" | "T col" | "our\nSET size 2\n4" | "2"
//
//     buffer                         what read_command does
//     "GE"                           no complete command: read more
//     "GET col"                      no complete command: read more
//     "GET colour\nSET size 2\n4"    returns Get { colour }, keeps "SET size 2\n4"
//     "SET size 2\n4"                (next call) the value needs 2 bytes, has 1: read more
//     "SET size 2\n42"               returns Set { size, 42 }
//
// So the reader keeps a buffer. `read_command` first looks for a complete command in the
// buffer (and removes it from the buffer if there is one); only when there is none does it
// read more bytes from the stream, add them to the buffer, and look again.
//
// The protocol (the parser, `parse_command`, is written for you):
//
//     GET <key>\n
//     SET <key> <n>\n<n bytes of value>           the value may hold spaces and newlines
//     PUBLISH <channel> <n>\n<n bytes of message>
//     SUBSCRIBE <channel>\n
//
// Cancel safety (06_cancellation). Later steps wait for a command *or* something else
// (a message to forward, a shutdown) in a `select!`, which drops `read_command`'s future
// whenever the other branch wins. Whatever that future had read must survive: so it must not
// live in a local variable of `read_command`, but in the struct. `AsyncReadExt::read` itself
// is cancel-safe (if it is dropped before it completes, no bytes were taken from the stream);
// a `read_exact` or `read_line` that has read half of what it wants is not.
//
// `read_command` below reads once and hopes that the read holds exactly one command. Make it
// cope with any split, and keep its partial input where a cancelled call cannot lose it.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

/// A command from a client.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Command {
    Get { key: String },
    Set { key: String, value: String },
    Publish { channel: String, message: String },
    Subscribe { channel: String },
}

/// The longest command line (the part up to the first newline) the server accepts.
const MAX_LINE: usize = 256;

/// The longest value or message the server accepts, in bytes.
const MAX_PAYLOAD: usize = 64 * 1024;

fn invalid(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

/// Looks for one complete command at the start of `buf`. Returns the command and how many
/// bytes of `buf` it took, `Ok(None)` if `buf` holds only the beginning of a command (read
/// more and try again), or an error if `buf` can never become a valid command.
fn parse_command(buf: &[u8]) -> io::Result<Option<(Command, usize)>> {
    let Some(end) = buf.iter().position(|&b| b == b'\n') else {
        if buf.len() > MAX_LINE {
            return Err(invalid("command line too long"));
        }
        return Ok(None);
    };
    let line = std::str::from_utf8(&buf[..end]).map_err(|_| invalid("command is not UTF-8"))?;
    let words: Vec<&str> = line.split(' ').collect();
    let body = end + 1;
    match words[..] {
        ["GET", key] if !key.is_empty() => {
            let key = key.to_string();
            Ok(Some((Command::Get { key }, body)))
        }
        ["SUBSCRIBE", channel] if !channel.is_empty() => {
            let channel = channel.to_string();
            Ok(Some((Command::Subscribe { channel }, body)))
        }
        [verb @ ("SET" | "PUBLISH"), name, len] if !name.is_empty() => {
            let len: usize = len.parse().map_err(|_| invalid("length is not a number"))?;
            if len > MAX_PAYLOAD {
                return Err(invalid("value too long"));
            }
            let Some(payload) = buf.get(body..body + len) else {
                return Ok(None);
            };
            let payload =
                String::from_utf8(payload.to_vec()).map_err(|_| invalid("value is not UTF-8"))?;
            let name = name.to_string();
            let command = match verb {
                "SET" => Command::Set {
                    key: name,
                    value: payload,
                },
                _ => Command::Publish {
                    channel: name,
                    message: payload,
                },
            };
            Ok(Some((command, body + len)))
        }
        _ => Err(invalid(format!("unknown command {line:?}"))),
    }
}

/// The reading side of a connection: the stream and what has been read from it but not yet
/// parsed.
struct Framed<S> {
    stream: S,
    buffer: Vec<u8>,
}

impl<S: AsyncRead + Unpin> Framed<S> {
    fn new(stream: S) -> Self {
        Self {
            stream,
            buffer: Vec::new(),
        }
    }

    /// The next command, or `Ok(None)` when the client has hung up between commands.
    ///
    /// Cancel-safe: the only `.await` is `read`, which takes no bytes from the stream unless
    /// it completes, and everything read so far lives in `self.buffer`, not in this future.
    async fn read_command(&mut self) -> io::Result<Option<Command>> {
        loop {
            // Reads first, then parses: a command already buffered waits for more input.
            let mut chunk = [0u8; 1024];
            let n = self.stream.read(&mut chunk).await?;
            self.buffer.extend_from_slice(&chunk[..n]);
            if let Some((command, used)) = parse_command(&self.buffer)? {
                self.buffer.drain(..used);
                return Ok(Some(command));
            }
            if n == 0 {
                if self.buffer.is_empty() {
                    return Ok(None);
                }
                return Err(invalid("the client hung up in the middle of a command"));
            }
        }
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    // A client that sends three commands in awkward pieces, a few milliseconds apart.
    let (mut client, server) = tokio::io::duplex(64);
    let pieces: [&[u8]; 5] = [
        b"SET gre",
        b"eting 11\nhello",
        b"\nworldGET greeting\nPUB",
        b"LISH news 4\nnew",
        b"s",
    ];
    tokio::spawn(async move {
        for piece in pieces {
            client.write_all(piece).await.unwrap();
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    });
    let mut framed = Framed::new(server);
    loop {
        match framed.read_command().await {
            Ok(Some(command)) => println!("command: {command:?}"),
            Ok(None) => {
                println!("the client hung up");
                break;
            }
            Err(err) => {
                println!("error: {err}");
                break;
            }
        }
    }
}
