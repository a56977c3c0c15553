// Mistakes learners make on `buffered` versus `buffer_unordered`, and how each is caught:
// - each function given the other's tool (the shipped code): the exact timeline of hand-overs
//   (photo, virtual ms) is compared, and recognised, with a message that says why it does not
//   fit that function's purpose.
// - `buffer_unordered` plus a reorder buffer for the gallery: in order, but a fourth render
//   starts while finished thumbnails wait, breaking the contract of at most three thumbnails
//   in memory; recognised by thumbnails shown earlier than three slots allow.
// - no limit (`buffered(len)`, `join_all`), or one at a time: recognised.
// - collecting everything and handing it over at the end: recognised.
// - sorting the uploads at the end, or reporting them in input order: timeline compared.
// - hard-coding: sizes are not the exercise's.

use super::{AT_ONCE, Photo, show_gallery, upload_all};

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
use asynclings_support::watchdog;
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(10);

/// When, in ms, each item is handed over by `buffered(n)`, as `(index, time)` in hand-over
/// order, for futures taking `work[i]` ms each. An item keeps its slot until it is handed
/// over, and items are handed over in input order.
fn buffered_timeline(work: &[u64], n: usize) -> Vec<(usize, u64)> {
    let mut handed: Vec<u64> = Vec::new();
    for (i, &w) in work.iter().enumerate() {
        let start = if i < n { 0 } else { handed[i - n] };
        let ready = start + w;
        handed.push(handed.last().map_or(ready, |&prev| prev.max(ready)));
    }
    handed.into_iter().enumerate().collect()
}

/// The same for `buffer_unordered(n)`: each item is handed over when it finishes, and the
/// next one starts in its slot at that moment.
fn unordered_timeline(work: &[u64], n: usize) -> Vec<(usize, u64)> {
    let mut running: Vec<(u64, usize)> = Vec::new();
    let mut next = 0;
    let mut handed = Vec::new();
    while next < work.len().min(n) {
        running.push((work[next], next));
        next += 1;
    }
    while !running.is_empty() {
        running.sort();
        let (at, i) = running.remove(0);
        handed.push((i, at));
        if next < work.len() {
            running.push((at + work[next], next));
            next += 1;
        }
    }
    handed
}

/// Runs `f` over photos of the given sizes and records, for each call of the callback, the
/// photo's id and the virtual time in ms.
async fn record<F, Fut>(megapixels: &[u64], f: F) -> Vec<(u32, u64)>
where
    F: FnOnce(Vec<Photo>, Box<dyn FnMut(u32)>) -> Fut,
    Fut: Future<Output = ()>,
{
    let photos = megapixels
        .iter()
        .enumerate()
        .map(|(i, &megapixels)| Photo {
            id: 100 + i as u32,
            megapixels,
        })
        .collect();
    let log = Arc::new(Mutex::new(Vec::new()));
    let start = Instant::now();
    let sink = Arc::clone(&log);
    let callback = Box::new(move |id: u32| {
        let at = start.elapsed().as_millis() as u64;
        sink.lock().unwrap().push((id, at));
    });
    watchdog(LIMIT, "the photos", f(photos, callback)).await;
    log.lock().unwrap().clone()
}

/// Each photo's moment as it happened and as expected, one row per photo, in id order.
fn timelines(got: &[(u32, u64)], expected: &[(u32, u64)]) -> (Timeline, Timeline) {
    let mut ids: Vec<u32> = expected.iter().chain(got).map(|&(id, _)| id).collect();
    ids.sort();
    ids.dedup();
    let (recorded, wanted) = (Timeline::new(), Timeline::new());
    for (run, moments) in [(&recorded, got), (&wanted, expected)] {
        for id in &ids {
            run.declare_instants(&format!("photo {id}"));
        }
        for &(id, at) in moments {
            run.instant_at(&format!("photo {id}"), Duration::from_millis(at));
        }
        let end = moments.iter().map(|&(_, at)| at).max().unwrap_or(0);
        run.end_at(Duration::from_millis(end));
    }
    (recorded, wanted)
}

fn as_ids(timeline: &[(usize, u64)], ms_per_megapixel: u64) -> Vec<(u32, u64)> {
    timeline
        .iter()
        .map(|&(i, at)| (100 + i as u32, at * ms_per_megapixel))
        .collect()
}

/// What the function under test is for: the gallery (input order, at most three thumbnails
/// in memory) or the progress bar (each upload the moment it finishes).
#[derive(Clone, Copy, PartialEq)]
enum Purpose {
    Gallery,
    Progress,
}

/// Names the strategy whose timeline `got` is, if it is one of the usual ones, and says why
/// it does or does not fit `purpose`.
fn recognise(
    got: &[(u32, u64)],
    megapixels: &[u64],
    ms_per_megapixel: u64,
    purpose: Purpose,
) -> &'static str {
    let all = megapixels.len();
    let buffered = as_ids(&buffered_timeline(megapixels, AT_ONCE), ms_per_megapixel);
    let unordered = as_ids(&unordered_timeline(megapixels, AT_ONCE), ms_per_megapixel);
    let mut sorted = got.to_vec();
    sorted.sort_by_key(|&(id, _)| id);
    let in_input_order = got
        .iter()
        .map(|&(id, _)| id)
        .eq(buffered.iter().map(|&(id, _)| id));
    let last = got.iter().map(|&(_, at)| at).max().unwrap_or(0);
    if got == unordered && purpose == Purpose::Gallery {
        "that is what `buffer_unordered(3)` does: it hands each thumbnail over the moment it \
         is rendered, in completion order. A gallery shown in that order is jumbled: \
         `buffered(3)` hands them over in the order of the photos"
    } else if got == buffered && purpose == Purpose::Progress {
        "that is what `buffered(3)` does: it hands results over in the order of the photos, so \
         an upload that finished early is reported only when the slower ones ahead of it are \
         done, and it keeps its slot until then, so the next upload starts late too. The \
         progress bar wants each upload the moment it finishes: `buffer_unordered(3)`"
    } else if got == as_ids(&buffered_timeline(megapixels, all), ms_per_megapixel)
        || got == as_ids(&unordered_timeline(megapixels, all), ms_per_megapixel)
    {
        "that is every photo at once: keep at most 3 in flight"
    } else if got == as_ids(&buffered_timeline(megapixels, 1), ms_per_megapixel) {
        "that is one photo at a time: keep 3 in flight"
    } else if got.iter().all(|&(_, at)| at == last) && got.len() > 1 {
        "everything was handed over at the same moment, at the end: each result should go out \
         as soon as it may, not after the whole batch"
    } else if sorted.len() != all {
        "not every photo was handed over exactly once"
    } else if purpose == Purpose::Gallery
        && in_input_order
        && got.iter().zip(&buffered).all(|(g, b)| g.1 <= b.1)
    {
        "the thumbnails came in the right order, but some earlier than three in memory at a \
         time allow: a fourth render started while rendered thumbnails were still waiting for \
         their turn (`buffer_unordered` and a buffer that restores the order holds more than \
         three). `buffered(3)` keeps a finished thumbnail's slot until it is shown"
    } else if purpose == Purpose::Gallery && !in_input_order {
        "the thumbnails were not shown in the order of the photos"
    } else {
        "compare it with the timeline expected"
    }
}

#[tokio::test(start_paused = true)]
async fn the_gallery_shows_thumbnails_in_order_as_soon_as_they_may() {
    let megapixels = [12, 3, 7, 2, 9, 4, 6, 1];
    let shown = record(&megapixels, |photos, mut callback| {
        show_gallery(photos, move |thumbnail| {
            let photo: u32 = thumbnail.photo;
            callback(photo)
        })
    })
    .await;
    let expected = as_ids(&buffered_timeline(&megapixels, AT_ONCE), 10);
    let (recorded, wanted) = timelines(&shown, &expected);
    timeline::assert(shown == expected, &recorded, Some(&wanted), || {
        format!(
            "show_gallery of photos of {megapixels:?} megapixels (10ms per megapixel to render, \
             3 at a time) showed (photo, ms) {shown:?}; expected {expected:?}: in the order of \
             the photos, each the moment it and every one before it are ready. What happened: \
             {}",
            recognise(&shown, &megapixels, 10, Purpose::Gallery)
        )
    });
}

#[tokio::test(start_paused = true)]
async fn each_upload_is_reported_the_moment_it_finishes() {
    let megapixels = [8, 3, 6, 2, 9, 4, 1];
    let reported = record(&megapixels, upload_all).await;
    let expected = as_ids(&unordered_timeline(&megapixels, AT_ONCE), 20);
    let (recorded, wanted) = timelines(&reported, &expected);
    timeline::assert(reported == expected, &recorded, Some(&wanted), || {
        format!(
            "upload_all of photos of {megapixels:?} megapixels (20ms per megapixel to upload, 3 \
             at a time) reported (photo, ms) {reported:?}; expected {expected:?}: each upload \
             the moment it finishes, with the next one started in its slot. What happened: {}",
            recognise(&reported, &megapixels, 20, Purpose::Progress)
        )
    });
}

#[tokio::test(start_paused = true)]
async fn fewer_photos_than_slots() {
    let shown = record(&[5, 1], |photos, mut callback| {
        show_gallery(photos, move |thumbnail| {
            let photo: u32 = thumbnail.photo;
            callback(photo)
        })
    })
    .await;
    assert_eq!(
        shown,
        [(100, 50), (101, 50)],
        "show_gallery of two photos (50ms and 10ms to render) showed (photo, ms) {shown:?}; \
         in the order of the photos, the second is shown with the first, at 50ms"
    );
    let reported = record(&[5, 1], upload_all).await;
    assert_eq!(
        reported,
        [(101, 20), (100, 100)],
        "upload_all of two photos (100ms and 20ms to upload) reported (photo, ms) \
         {reported:?}; the quick one should be reported at 20ms, when it finishes"
    );
    let none = record(&[], upload_all).await;
    assert!(none.is_empty(), "upload_all of no photos reported {none:?}");
}
