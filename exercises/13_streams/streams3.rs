// streams3: `buffered` or `buffer_unordered`
//
// A stream of futures can be run a few at a time: `.buffered(n)` and `.buffer_unordered(n)`
// both keep up to `n` of the futures running at once and yield their outputs. They differ in
// the order of the outputs, and that changes *when* you get each one.
//
// `buffer_unordered(n)` yields each output the moment its future finishes, and starts the next
// future in the freed slot at once:
//
//     a |------------ 80 ------------|                    yields: b at 30, c at 50, ...
//     b |-- 30 --|d ------ 60 ----- ...                   (completion order)
//     c |---- 50 ----|e ...
//
// `buffered(n)` yields the outputs in the order of the input. An output that is ready before
// the ones ahead of it waits for them, and, until it has been handed over, it keeps its slot:
//
//     a |------------ 80 ------------|                    yields: a at 80, then b and c
//     b |-- 30 --| waits ............|                    at once; d and e only start
//     c |---- 50 ----| waits ........|                    when a slot is handed over
//
// So: `buffered` when the consumer needs the input order (and accepts waiting for the slow
// one at the head), `buffer_unordered` when each result is useful on its own, as soon as
// possible.
//
// A photo app below does two things with a list of photos, three at a time. The gallery must
// show the thumbnails in the order of the list, each as soon as it and every one before it are
// ready, with at most three thumbnails in memory (rendering, or waiting to be shown): exactly
// what `buffered(3)` keeps. (`buffer_unordered(3)` plus a buffer that puts the thumbnails back
// in order would start a fourth render while finished ones wait, and hold more than three.)
// The progress bar must tick the moment any upload finishes. Each got the other's tool.

use std::time::Duration;

use futures::StreamExt;
use futures::stream;
use tokio::time::sleep;

/// How many renders, or uploads, run at the same time.
const AT_ONCE: usize = 3;

#[derive(Debug, Clone, PartialEq)]
struct Photo {
    id: u32,
    megapixels: u64,
}

#[derive(Debug, PartialEq)]
struct Thumbnail {
    photo: u32,
}

/// Pretend work: 10ms per megapixel.
async fn render_thumbnail(photo: Photo) -> Thumbnail {
    sleep(Duration::from_millis(10 * photo.megapixels)).await;
    Thumbnail { photo: photo.id }
}

/// Pretend work: 20ms per megapixel. Returns the id of the uploaded photo.
async fn upload(photo: Photo) -> u32 {
    sleep(Duration::from_millis(20 * photo.megapixels)).await;
    photo.id
}

/// Shows the thumbnail of every photo, in the order of `photos`, each as soon as it and every
/// one before it are rendered. Thumbnails are big: at most `AT_ONCE` may be in memory at a
/// time, counting those being rendered and those rendered and waiting for their turn.
async fn show_gallery(photos: Vec<Photo>, mut show: impl FnMut(Thumbnail)) {
    // TODO: the gallery needs the thumbnails in the order of the photos.
    let mut thumbnails = stream::iter(photos)
        .map(render_thumbnail)
        .buffer_unordered(AT_ONCE);
    while let Some(thumbnail) = thumbnails.next().await {
        show(thumbnail);
    }
}

/// Uploads every photo, at most `AT_ONCE` at a time, and calls `done` with a photo's id the
/// moment its upload finishes.
async fn upload_all(photos: Vec<Photo>, mut done: impl FnMut(u32)) {
    // TODO: the progress bar wants each upload as soon as it finishes, in any order.
    let mut uploads = stream::iter(photos).map(upload).buffered(AT_ONCE);
    while let Some(id) = uploads.next().await {
        done(id);
    }
}

#[tokio::main]
async fn main() {
    let photos: Vec<Photo> = [(1, 8), (2, 3), (3, 5), (4, 6), (5, 2)]
        .into_iter()
        .map(|(id, megapixels)| Photo { id, megapixels })
        .collect();
    let start = tokio::time::Instant::now();
    show_gallery(photos.clone(), |thumbnail| {
        println!("{:>4?} show {thumbnail:?}", start.elapsed());
    })
    .await;
    let start = tokio::time::Instant::now();
    upload_all(photos, |id| {
        println!("{:>4?} uploaded photo {id}", start.elapsed())
    })
    .await;
}
