// Valid alternative: split halves driven with join!, the answer read as bytes and decoded at
// the end.
// io3: talking and listening at the same time
//
// A connection holds only so many bytes in flight in each direction: the operating system
// keeps a buffer per direction, and a write waits while the buffer toward the peer is full.
// That is how a slow reader slows down a fast writer, and it is a good thing. But it means
// that a program which writes everything before it reads anything can get stuck:
//
//     client --writes--> [ request buffer, 64 B ] --> server: reads a line, answers it
//     client <--reads--- [ answer buffer,  64 B ] <-- server
//
//     1. The client writes its whole request, reading nothing until it is done.
//     2. The server reads a line and writes the answer; after a few lines the answer buffer
//        is full, because nobody reads it. The server waits for room to write.
//     3. A server that waits to write does not read, so the request buffer fills up too.
//        Now the client waits for the server, and the server waits for the client. Forever.
//
// The cure is to read while you write. Split the connection into a reading half and a
// writing half, and drive both at once in one task (`tokio::join!`, `try_join!`) or in two.
// `tokio::io::split(stream)` splits anything that is `AsyncRead + AsyncWrite`; for a
// `TcpStream`, `stream.split()` (borrowed halves) and `into_split()` (owned halves) do the same
// without a lock.
//
// A bigger buffer only moves the limit: the request that does not fit in it still hangs,
// and real sockets have buffers of a few hundred KiB, which real requests exceed.
//
// `shout` below sends a text to a server that answers each line in capitals, and reads the
// answer. Short texts work; long ones hang. Make it read and write at once.

use std::io;

use tokio::io::{
    AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader, DuplexStream,
};

/// Sends `text` to the server at the other end of `conn`, then shuts down the sending half to
/// mark the end of the request, and returns the server's whole answer (everything it sends
/// until the end of the stream).
async fn shout(conn: impl AsyncRead + AsyncWrite + Unpin, text: &str) -> io::Result<String> {
    // Two halves can be used at the same time, and `try_join!` drives both in this task: while
    // the writing waits for room in the request buffer, the reading empties the answer buffer,
    // which lets the server go on reading. Neither side ever waits for the other for good.
    let (mut reader, mut writer) = tokio::io::split(conn);
    let (sent, received) = tokio::join!(
        async {
            writer.write_all(text.as_bytes()).await?;
            writer.shutdown().await
        },
        async {
            let mut answer = Vec::new();
            reader.read_to_end(&mut answer).await.map(|_| answer)
        }
    );
    sent?;
    String::from_utf8(received?).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// The server: answers each line with the same line in capitals, one line at a time.
async fn capitals_server(conn: DuplexStream) -> io::Result<()> {
    let (reader, mut writer) = tokio::io::split(conn);
    let mut lines = BufReader::new(reader).lines();
    while let Some(line) = lines.next_line().await? {
        writer.write_all(line.to_uppercase().as_bytes()).await?;
        writer.write_all(b"\n").await?;
    }
    writer.shutdown().await
}

#[tokio::main]
async fn main() -> io::Result<()> {
    // An in-memory connection with 64 bytes of buffer in each direction.
    let (client_end, server_end) = tokio::io::duplex(64);
    tokio::spawn(capitals_server(server_end));

    let text: String = (1..=40)
        .map(|i| format!("this is line {i} of a long letter\n"))
        .collect();
    let answer = shout(client_end, &text).await?;
    print!("{answer}");
    Ok(())
}
