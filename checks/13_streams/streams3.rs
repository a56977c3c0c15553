use super::*;

use std::sync::{Arc, Mutex};
use std::time::Duration;

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

fn as_ids(timeline: &[(usize, u64)], ms_per_megapixel: u64) -> Vec<(u32, u64)> {
    timeline
        .iter()
        .map(|&(i, at)| (100 + i as u32, at * ms_per_megapixel))
        .collect()
}

/// Names the strategy whose timeline `got` is, if it is one of the usual ones.
fn recognise(got: &[(u32, u64)], megapixels: &[u64], ms_per_megapixel: u64) -> &'static str {
    let all = megapixels.len();
    let candidates = [
        (
            as_ids(&buffered_timeline(megapixels, AT_ONCE), ms_per_megapixel),
            "that is what `buffered(3)` does: it hands results over in the order of the \
             photos, so one that finished early waits behind a slower one ahead of it",
        ),
        (
            as_ids(&unordered_timeline(megapixels, AT_ONCE), ms_per_megapixel),
            "that is what `buffer_unordered(3)` does: it hands each result over the moment \
             it finishes, in completion order, not in the order of the photos",
        ),
        (
            as_ids(&buffered_timeline(megapixels, all), ms_per_megapixel),
            "that is every photo at once: keep at most 3 in flight",
        ),
        (
            as_ids(&unordered_timeline(megapixels, all), ms_per_megapixel),
            "that is every photo at once: keep at most 3 in flight",
        ),
        (
            as_ids(&buffered_timeline(megapixels, 1), ms_per_megapixel),
            "that is one photo at a time: keep 3 in flight",
        ),
    ];
    let mut sorted = got.to_vec();
    sorted.sort_by_key(|&(id, _)| id);
    let last = got.iter().map(|&(_, at)| at).max().unwrap_or(0);
    if let Some((_, why)) = candidates.iter().find(|(timeline, _)| timeline == got) {
        why
    } else if got.iter().all(|&(_, at)| at == last) && got.len() > 1 {
        "everything was handed over at the same moment, at the end: each result should go out \
         as soon as it may, not after the whole batch"
    } else if sorted.len() != all {
        "not every photo was handed over exactly once"
    } else {
        "compare it with the timeline expected"
    }
}

#[tokio::test(start_paused = true)]
async fn the_gallery_shows_thumbnails_in_order_as_soon_as_they_may() {
    let megapixels = [12, 3, 7, 2, 9, 4, 6, 1];
    let shown = record(&megapixels, |photos, mut callback| {
        show_gallery(photos, move |thumbnail| callback(thumbnail.photo))
    })
    .await;
    let expected = as_ids(&buffered_timeline(&megapixels, AT_ONCE), 10);
    assert!(
        shown == expected,
        "show_gallery of photos of {megapixels:?} megapixels (10ms per megapixel to \
         render, 3 at a time) showed (photo, ms) {shown:?}; expected {expected:?}: in the order of the \
         photos, each the moment it and every one before it are ready. What happened: {}",
        recognise(&shown, &megapixels, 10)
    );
}

#[tokio::test(start_paused = true)]
async fn each_upload_is_reported_the_moment_it_finishes() {
    let megapixels = [8, 3, 6, 2, 9, 4, 1];
    let reported = record(&megapixels, upload_all).await;
    let expected = as_ids(&unordered_timeline(&megapixels, AT_ONCE), 20);
    assert!(
        reported == expected,
        "upload_all of photos of {megapixels:?} megapixels (20ms per megapixel to \
         upload, 3 at a time) reported (photo, ms) {reported:?}; expected {expected:?}: each upload the \
         moment it finishes, with the next one started in its slot. What happened: {}",
        recognise(&reported, &megapixels, 20)
    );
}

#[tokio::test(start_paused = true)]
async fn fewer_photos_than_slots() {
    let shown = record(&[5, 1], |photos, mut callback| {
        show_gallery(photos, move |thumbnail| callback(thumbnail.photo))
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
