// Mistakes learners make with a span per connection, and how each is caught:
// - no span at all (the shipped code): every event of a connection must sit inside exactly one
//   `connection` span; events in none are reported.
// - the span attached to the connection's task, but not to the tasks it spawns: the writer's
//   `wrote` and the forwarders' `forwarded` events then sit in no span; a spawned task does not
//   inherit its spawner's span, and those events are named as coming from those tasks.
// - a span entered with `enter()` around the spawn (or `in_scope`) instead of attached: the
//   spawned task runs later, outside it; its events are in no span.
// - `span.enter()` held across an `.await` inside the connection's task (it compiles: the
//   `Entered` guard is `Send`): while one connection waits, the thread polls the others,
//   whose events and spans land inside its span; events inside nested spans of different
//   peers are reported as that.
// - one span for all connections (made once, cloned into each, its `peer` recorded again and
//   again): events carry their client's names (keys, channels, values unique per client)
//   and must sit in the span of that client's peer; each peer's span must hold exactly its
//   own connection's events, counted.
// - a span without the peer id: the `peer` field is required.
// - a span made twice (in `serve` and by `#[instrument]` on `handle_connection`): events
//   inside two `connection` spans are reported.
// - the logging removed or the server changed: every client's replies are compared, and
//   each peer's span must hold the events of every command, line and message.
// - hard-coding: peer ids, names, timings are not the exercise's.

use super::{Config, Peer, serve};

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asynclings_support::watchdog;
use tokio::io::{
    AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream, Lines, ReadHalf, WriteHalf,
};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

const LIMIT: Duration = Duration::from_secs(60);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The fields of a span or an event, as (name, value) text, in the order recorded.
#[derive(Clone, Default, Debug)]
struct Fields(Vec<(String, String)>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_string(), value.to_string()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .push((field.name().to_string(), format!("{value:?}")));
    }
}

impl Fields {
    /// The value last recorded for `name` (a span's field may be recorded again).
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One event, with the spans it was logged in (outermost first), their fields as they were
/// when the event was logged.
#[derive(Debug)]
struct Logged {
    fields: Fields,
    spans: Vec<(String, Fields)>,
}

impl Logged {
    fn message(&self) -> &str {
        self.fields.get("message").unwrap_or("")
    }

    /// The `peer` fields of the `connection` spans around the event (`None` for a
    /// `connection` span without one).
    fn connection_peers(&self) -> Vec<Option<String>> {
        self.spans
            .iter()
            .filter(|(name, _)| name == "connection")
            .map(|(_, fields)| fields.get("peer").map(str::to_string))
            .collect()
    }
}

#[derive(Clone, Default)]
struct Capture {
    events: Arc<Mutex<Vec<Logged>>>,
}

impl<S> Layer<S> for Capture
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let mut added = Fields::default();
        values.record(&mut added);
        if let Some(span) = ctx.span(id)
            && let Some(fields) = span.extensions_mut().get_mut::<Fields>()
        {
            fields.0.extend(added.0);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let spans = ctx
            .event_scope(event)
            .map(|scope| {
                scope
                    .from_root()
                    .map(|span| {
                        let fields = span.extensions().get::<Fields>().cloned();
                        (span.name().to_string(), fields.unwrap_or_default())
                    })
                    .collect()
            })
            .unwrap_or_default();
        self.events.lock().unwrap().push(Logged { fields, spans });
    }
}

/// The events the exercise's connections log, and which task logs each.
const CONNECTION_EVENTS: [(&str, &str); 8] = [
    ("connected", "the connection's task"),
    ("command", "the connection's task"),
    ("told to stop", "the connection's task"),
    ("timed out", "the connection's task"),
    ("bad command", "the connection's task"),
    ("closed", "the connection's task"),
    ("wrote", "the writer task"),
    ("forwarded", "a forwarder task"),
];

/// A client played by the checks: one end of an in-memory connection whose other end was
/// handed to the server. Every key, channel and value it uses contains its `tag`.
struct Client {
    id: u64,
    tag: &'static str,
    lines: Lines<BufReader<ReadHalf<DuplexStream>>>,
    writer: WriteHalf<DuplexStream>,
    heard: Vec<String>,
}

impl Client {
    async fn connect(connect: &mpsc::Sender<Peer>, id: u64, tag: &'static str) -> Client {
        let (client_end, server_end) = tokio::io::duplex(4096);
        let peer = Peer {
            id,
            stream: server_end,
        };
        if connect.send(peer).await.is_err() {
            panic!("client {id} could not connect: the server dropped `incoming` early");
        }
        let (reader, writer) = tokio::io::split(client_end);
        Client {
            id,
            tag,
            lines: BufReader::new(reader).lines(),
            writer,
            heard: Vec::new(),
        }
    }

    async fn send(&mut self, text: &str) {
        if let Err(err) = self.writer.write_all(text.as_bytes()).await {
            panic!("client {} could not send {text:?}: {err}", self.id);
        }
    }

    /// The next line, or `None` once the server has closed the connection.
    async fn next(&mut self) -> Option<String> {
        match tokio::time::timeout(ms(1000), self.lines.next_line()).await {
            Ok(Ok(line)) => {
                if let Some(line) = &line {
                    self.heard.push(line.clone());
                }
                line
            }
            Ok(Err(err)) => panic!("client {} could not read: {err}", self.id),
            Err(_) => panic!(
                "client {} waited a second of virtual time for a line from the server and got \
                 none: the server should answer as it did in capstone6",
                self.id
            ),
        }
    }

    async fn line(&mut self) -> String {
        match self.next().await {
            Some(line) => line,
            None => panic!(
                "client {}: the server closed the connection instead of answering",
                self.id
            ),
        }
    }

    /// Plays a session on the client's own names: subscribes to two channels, sets a key,
    /// publishes to both channels (and hears its own messages), reads the key back. Waits
    /// `pause` between steps, so that the clients' sessions interleave.
    async fn session(&mut self, pause: Duration) {
        let tag = self.tag;
        let news = format!("{tag}.news");
        let chat = format!("{tag}.chat");
        let key = format!("{tag}.key");
        let value = format!("{tag} value {}", self.id);
        self.send(&format!("SUBSCRIBE {news}\n")).await;
        self.line().await;
        tokio::time::sleep(pause).await;
        self.send(&format!("SUBSCRIBE {chat}\n")).await;
        self.line().await;
        tokio::time::sleep(pause).await;
        self.send(&format!("SET {key} {}\n{value}", value.len()))
            .await;
        self.line().await;
        tokio::time::sleep(pause).await;
        for channel in [&news, &chat] {
            let message = format!("{tag} on {channel}");
            self.send(&format!("PUBLISH {channel} {}\n{message}", message.len()))
                .await;
            // SENT and the MESSAGE, in either order.
            self.line().await;
            self.line().await;
            tokio::time::sleep(pause).await;
        }
        self.send(&format!("GET {key}\n")).await;
        self.line().await;
    }

    /// The lines this client should have heard, sorted (SENT and MESSAGE may swap).
    fn expected(&self, ends_with_bye: bool) -> Vec<String> {
        let tag = self.tag;
        let mut lines = vec![
            format!("SUBSCRIBED {tag}.news"),
            format!("SUBSCRIBED {tag}.chat"),
            "OK".to_string(),
            "SENT 1".to_string(),
            format!("MESSAGE {tag}.news \"{tag} on {tag}.news\""),
            "SENT 1".to_string(),
            format!("MESSAGE {tag}.chat \"{tag} on {tag}.chat\""),
            format!("VALUE \"{tag} value {}\"", self.id),
        ];
        if ends_with_bye {
            lines.push("BYE".to_string());
        }
        lines.sort();
        lines
    }
}

#[tokio::test(start_paused = true)]
async fn every_event_of_a_connection_is_inside_its_own_peers_span() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(capture.clone());
    let _default = tracing::subscriber::set_default(subscriber);

    // Three clients talk at once; 88 stays until the shutdown, the others hang up.
    let plays: [(u64, &str, u64, bool); 3] = [
        (1307, "amber", 7, false),
        (52, "cobalt", 11, true),
        (88, "indigo", 5, false),
    ];
    let (connect, incoming) = mpsc::channel(16);
    let config = Config {
        max_connections: 8,
        request_timeout: ms(60_000),
        drain: ms(500),
    };
    let start = Instant::now();
    let shutdown = tokio::time::sleep_until(start + ms(400));
    let clients = async move {
        let mut clients = Vec::new();
        for (id, tag, _, _) in plays {
            clients.push(Client::connect(&connect, id, tag).await);
        }
        futures::future::join_all(clients.iter_mut().zip(plays).map(
            |(client, (_, _, pause, stays))| async move {
                client.session(ms(pause)).await;
                if !stays {
                    let _ = client.writer.shutdown().await;
                }
                // Everything until the server closes the connection (BYE for the one that
                // stays until the shutdown).
                while client.next().await.is_some() {}
            },
        ))
        .await;
        clients
    };
    let (report, clients) = watchdog(LIMIT, "the session", async {
        tokio::join!(serve(incoming, config, shutdown), clients)
    })
    .await;
    let cut_off: Vec<u64> = report.cut_off;
    assert_eq!(cut_off, Vec::<u64>::new(), "nobody should be cut off");
    for (client, (_, _, _, stays)) in clients.iter().zip(plays) {
        let mut heard: Vec<String> = client.heard.clone();
        heard.sort();
        assert_eq!(
            heard,
            client.expected(stays),
            "what client {} heard (sorted): the server should answer as it did in capstone6; \
             only its logging changes",
            client.id
        );
    }

    let events = capture.events.lock().unwrap();
    // Every event of a connection sits inside exactly one `connection` span, of its own peer.
    for event in events.iter() {
        let Some((message, task)) = CONNECTION_EVENTS
            .iter()
            .find(|(message, _)| *message == event.message())
        else {
            continue;
        };
        let text = format!("{:?}", event.fields.0);
        let owner = clients.iter().find(|c| text.contains(c.tag));
        let about = match owner {
            Some(client) => format!("the event {message:?} ({text}) of client {}", client.id),
            None => format!("the event {message:?} ({text})"),
        };
        let peers = event.connection_peers();
        let spawned = *task != "the connection's task";
        match &peers[..] {
            [] if spawned => panic!(
                "{about}, logged by {task}, is inside no `connection` span. A spawned task \
                 does not inherit the span of the task that spawned it: `JoinSet::spawn` and \
                 `tokio::spawn` start a new task that the runtime polls on its own, outside \
                 whatever span was current at the call. Attach the span to the spawned \
                 future: `.in_current_span()` (or `.instrument(span.clone())`)"
            ),
            [] => panic!(
                "{about}, logged by {task}, is inside no `connection` span. Make one span per \
                 connection, `tracing::info_span!(\"connection\", peer = peer.id)`, and attach \
                 it to the connection task's future with `.instrument(span)`: a span entered \
                 with `enter()` (or `in_scope`) around the spawn covers only the code that \
                 runs while it is entered, not the task, which runs later"
            ),
            [None] => panic!(
                "{about} is inside a `connection` span without a `peer` field: give the span \
                 its peer's id, `info_span!(\"connection\", peer = peer.id)`"
            ),
            [Some(peer)] => {
                if let Some(client) = owner
                    && *peer != client.id.to_string()
                {
                    panic!(
                        "{about} is inside the `connection` span of peer {peer}, not of peer \
                         {}. Is one span shared by all the connections (made once and cloned: \
                         a clone of a `Span` is the same span, and recording `peer` again \
                         changes it for everyone)? Make a new span for each connection, in the \
                         loop, with that connection's peer id",
                        client.id
                    );
                }
            }
            _ if peers.iter().all(|p| *p == peers[0]) => panic!(
                "{about} is inside {} `connection` spans, all of peer {}; it belongs inside \
                 exactly one. The span is made twice: once in `serve` and again around \
                 `handle_connection` (`#[tracing::instrument]` makes a span of its own). Keep \
                 one of them",
                peers.len(),
                peers[0].as_deref().unwrap_or("(none)")
            ),
            _ => panic!(
                "{about} is inside {} `connection` spans, nested (peers {peers:?}); it belongs \
                 inside exactly one, its own. A span entered with `enter()` stayed entered \
                 across an `.await`: while its connection waited, the thread went on to poll \
                 other connections, which logged (and made their own spans) inside it. Attach \
                 the span to the future with `.instrument(span)`, which enters it only while \
                 the future is polled; never hold an `enter()` guard across an `.await`",
                peers.len()
            ),
        }
    }
    // And each peer's span holds exactly its own connection's events.
    for (client, (_, _, _, stays)) in clients.iter().zip(plays) {
        let own = client.id.to_string();
        let mut got: Vec<&str> = events
            .iter()
            .filter(|e| e.connection_peers() == [Some(own.clone())])
            .map(Logged::message)
            .filter(|m| CONNECTION_EVENTS.iter().any(|(c, _)| c == m))
            .collect();
        got.sort();
        let mut expected = vec!["connected", "closed"];
        expected.extend(["command"; 6]);
        expected.extend(["wrote"; 8]);
        expected.extend(["forwarded"; 2]);
        if stays {
            expected.extend(["told to stop", "wrote"]);
        }
        expected.sort();
        assert_eq!(
            got,
            expected,
            "the events inside the `connection` span of peer {own} (sorted): client {own} sent \
             6 commands and heard {} lines, 2 of them messages. Each connection needs a span \
             of its own, which its writer and forwarders carry too; no other connection's \
             events belong in it",
            expected.iter().filter(|m| **m == "wrote").count()
        );
    }
}
