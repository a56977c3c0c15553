// Mistakes learners make on spans across awaits, and how each is caught:
// - `span.enter()` (or `.entered()`) guard held across an `.await` (the shipped code): other
//   requests polled meanwhile log inside the wrong span; every event's spans are compared.
// - `in_scope` around the request's own lines only: events outside any request span.
// - `#[tracing::instrument]` without `skip(token)`: the secret is recorded as a field; every
//   recorded field is searched for the secrets.
// - a span without the request's `id`: events are matched to requests by id.
// - responses changed along the way: the requests run at once (their work interleaves) and
//   their responses are compared as plain strings.
// - hard-coding: requests, paths, users and secrets are not the exercise's.

use super::handle;

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asynclings_support::watchdog;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

const LIMIT: Duration = Duration::from_secs(10);

/// The fields of a span or an event, as (name, value) text.
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
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One event, with the spans it was logged in (outermost first).
#[derive(Debug)]
struct Logged {
    fields: Fields,
    spans: Vec<(String, Fields)>,
}

impl Logged {
    fn message(&self) -> &str {
        self.fields.get("message").unwrap_or("")
    }

    /// The `id` fields of the spans around the event.
    fn span_ids(&self) -> Vec<String> {
        self.spans
            .iter()
            .filter_map(|(_, fields)| fields.get("id").map(str::to_string))
            .collect()
    }
}

/// Everything logged: the events, and every field value ever recorded (in spans or events),
/// with where it was recorded.
#[derive(Clone, Default)]
struct Capture {
    events: Arc<Mutex<Vec<Logged>>>,
    recorded: Arc<Mutex<Vec<(String, String, String)>>>,
}

impl Capture {
    fn remember(&self, place: &str, fields: &Fields) {
        let mut recorded = self.recorded.lock().unwrap();
        for (name, value) in &fields.0 {
            recorded.push((place.to_string(), name.clone(), value.clone()));
        }
    }
}

impl<S> Layer<S> for Capture
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        self.remember(&format!("span `{}`", attrs.metadata().name()), &fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let mut added = Fields::default();
        values.record(&mut added);
        if let Some(span) = ctx.span(id) {
            self.remember(&format!("span `{}`", span.name()), &added);
            if let Some(fields) = span.extensions_mut().get_mut::<Fields>() {
                fields.0.extend(added.0);
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        self.remember("an event", &fields);
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

struct Request {
    id: u64,
    path: &'static str,
    user: &'static str,
    secret: &'static str,
}

/// Requests none of the exercise's examples use; their work interleaves (20 to 60ms).
const REQUESTS: [Request; 4] = [
    Request {
        id: 9101,
        path: "/reports/2024/q3",
        user: "wanda",
        secret: "Zq8-never-log-me",
    },
    Request {
        id: 9102,
        path: "/ping",
        user: "rui",
        secret: "t0ps3cret.x",
    },
    Request {
        id: 9103,
        path: "/team/members",
        user: "oksana",
        secret: "pa55-PHRASE-77",
    },
    Request {
        id: 9104,
        path: "/x",
        user: "li",
        secret: "kkk-123-kkk",
    },
];

/// Handles every request at once (on this one thread) with a capturing subscriber; returns
/// the responses and what was logged.
async fn run_all() -> (Vec<String>, Capture) {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(capture.clone());
    let _default = tracing::subscriber::set_default(subscriber);
    let tokens: Vec<String> = REQUESTS
        .iter()
        .map(|r| format!("{}:{}", r.user, r.secret))
        .collect();
    let responses: Vec<String> = watchdog(
        LIMIT,
        "the requests",
        futures::future::join_all(
            REQUESTS
                .iter()
                .zip(&tokens)
                .map(|(r, token)| handle(r.id, r.path, token)),
        ),
    )
    .await;
    (responses, capture)
}

/// The request an event is about, by its `path` or `user` field.
fn request_of(event: &Logged) -> Option<&'static Request> {
    REQUESTS.iter().find(|r| {
        event.fields.get("path") == Some(r.path) || event.fields.get("user") == Some(r.user)
    })
}

#[tokio::test(start_paused = true)]
async fn every_event_is_inside_the_span_of_its_own_request() {
    let (_, capture) = run_all().await;
    let events = capture.events.lock().unwrap();
    for request in &REQUESTS {
        let mine: Vec<&Logged> = events
            .iter()
            .filter(|e| request_of(e).is_some_and(|r| r.id == request.id))
            .collect();
        let messages: Vec<&str> = mine.iter().map(|e| e.message()).collect();
        assert_eq!(
            messages,
            ["received", "authenticated", "responded"],
            "request {} ({}) logged {messages:?}; expected its three events, in that order",
            request.id,
            request.path
        );
        for event in mine {
            let ids = event.span_ids();
            let own = request.id.to_string();
            let why = match ids.len() {
                0 => "it is in no span with an `id` field: give each request a span, \
                      `info_span!(\"request\", id)`, and attach it to the request's future"
                    .to_string(),
                1 => format!("it is in the span of request {}", ids[0]),
                _ => "a span entered with `span.enter()` (or `.entered()`) stays entered on \
                      the thread while its request waits at an `.await`, so requests polled \
                      meanwhile log inside it, and open their own spans inside it. Attach \
                      the span to the future instead: `.instrument(span)`, or \
                      `#[tracing::instrument]`"
                    .to_string(),
            };
            assert!(
                ids == [own.clone()],
                "the event {:?} of request {} ({}) was logged inside the spans with ids \
                 {ids:?} (spans {:?}); it belongs inside the span of its own request, id {own}, \
                 and no other: {why}",
                event.message(),
                request.id,
                request.path,
                event.spans.iter().map(|(name, _)| name).collect::<Vec<_>>()
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn the_secret_part_of_a_token_is_never_recorded() {
    let (_, capture) = run_all().await;
    let recorded = capture.recorded.lock().unwrap();
    for request in &REQUESTS {
        if let Some((place, field, value)) = recorded
            .iter()
            .find(|(_, _, value)| value.contains(request.secret))
        {
            panic!(
                "the secret part of request {}'s token was recorded: {place} has the field \
                 `{field}` = {value:?}. `#[tracing::instrument]` records every argument of \
                 the function as a field; leave the token out with \
                 `#[tracing::instrument(skip(token))]` (or build the span by hand, with the id \
                 only)",
                request.id
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn every_request_gets_its_response() {
    let (responses, _) = run_all().await;
    let expected: Vec<String> = REQUESTS
        .iter()
        .map(|r| format!("{} <contents of {}>", r.user, r.path))
        .collect();
    assert_eq!(
        responses, expected,
        "the responses changed; only the logging should change"
    );
}
