// stream_sources2: the next page, only when asked
//
// A web API with many results hands them out a page at a time. Each answer carries one
// page of items and a cursor, an opaque token that asks for the page after it; the last
// page has no cursor:
//
//     page(None)        -> ["ant", "bee", "cod"],   next: Some("x7f")
//     page(Some("x7f")) -> ["doe", "eel"],          next: Some("q2k")
//     page(Some("q2k")) -> ["fox"],                 next: None
//
// Callers want the items, not the pages: a stream of items, fetching pages as it goes. And
// every page is a request (slow, perhaps rate-limited, perhaps paid for), so the stream
// should be lazy: a caller that wants the first ten items pays for one page, not for all.
//
// `futures::stream::unfold` builds such a stream from a state and an async step:
//
//     stream::unfold(initial_state, |state| async move {
//         // compute the next item from `state`...
//         Some((item, next_state))      // ...or `None`: the stream ends
//     })
//
// The step runs only when the consumer polls for the next item, and it owns the state
// between steps: nothing happens before the first poll, and nothing happens ahead of the
// consumer. (Compare stream_sources1, where a task works ahead on purpose.)
//
// Here one step fetches one page. Its item can be the page's items as a stream
// (`stream::iter(page.items)`), and `.flatten()` turns the stream of pages into a stream
// of items: it asks for the next page only once the items of the current one are used up.
// The state must say what to fetch next: the first page, the page of a cursor, or nothing
// (the last page has been fetched). Mind the last page: it still has items to give.
//
// `all_items` below fetches every page before it gives the first item.

use std::time::Duration;

use futures::{Stream, StreamExt, stream};

/// One page of results, and the cursor of the next page (`None` on the last page).
struct Page {
    items: Vec<String>,
    next: Option<String>,
}

/// A paginated catalogue, behind a slow API.
trait Catalogue {
    /// Fetches a page: the first one when `cursor` is `None`, else the one `cursor` names.
    async fn page(&self, cursor: Option<&str>) -> Page;
}

/// Every item of `catalogue`, page after page, in order. Lazy: the first page is fetched
/// when the first item is asked for, and each next page only when an item from it is.
fn all_items<C: Catalogue>(catalogue: C) -> impl Stream<Item = String> {
    // TODO: fetch one page per step, only when the consumer gets that far.
    stream::once(async move {
        let mut items = Vec::new();
        let mut cursor = None;
        loop {
            let page = catalogue.page(cursor.as_deref()).await;
            items.extend(page.items);
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        stream::iter(items)
    })
    .flatten()
}

/// A pretend API: three items a page, 26 items in all, 300ms a request.
struct Alphabet;

impl Catalogue for Alphabet {
    async fn page(&self, cursor: Option<&str>) -> Page {
        let from: u8 = cursor.map_or(0, |c| c.parse().unwrap());
        println!("  (request: page from item {from})");
        tokio::time::sleep(Duration::from_millis(300)).await;
        let to = (from + 3).min(26);
        Page {
            items: (from..to)
                .map(|i| char::from(b'a' + i).to_string())
                .collect(),
            next: (to < 26).then(|| to.to_string()),
        }
    }
}

#[tokio::main]
async fn main() {
    // Only the first four items are wanted: that is two pages.
    let first: Vec<String> = all_items(Alphabet).take(4).collect().await;
    println!("the first four: {first:?}");
}
