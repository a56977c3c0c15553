// Checks for stream_sources2: the next page, only when asked.
//
// The checks bring their own catalogue: pages of their choosing behind cursors that are
// opaque strings, 40ms a request, and a count of the requests (with the cursor each asked
// for). The checks then pull items one at a time and count the pages fetched after each.
//
// Mistakes a learner makes on this idea, and how each is caught:
// - Fetching every page before the first item (as shipped): the count after one item.
// - Fetching ahead (the next page together with the current one, "to be quick", or in a
//   task of its own): the count after the last item of a page, and after a pause with
//   nobody asking.
// - Work before the first poll: nothing may be fetched when the stream is only created.
// - Ending at an empty page that still has a cursor: a page of no items sits in the middle.
// - Ending as soon as a page has no cursor, before giving that last page's items.
// - Asking for page numbers or making up cursors: the catalogue accepts only the cursors it
//   gave out, and the checks compare the cursors asked for.
// - Hard-coding: items and cursors are the checks' own.

use super::{Catalogue, Page, all_items};

use std::cell::RefCell;
use std::time::Duration;

use asynclings_support::watchdog;
use futures::StreamExt;
use tokio::time::sleep;

const LIMIT: Duration = Duration::from_secs(60);

/// The checks' catalogue: its pages, each with the cursor that names it (the first page's
/// is never used), and every cursor it was asked for.
struct Shelf {
    pages: Vec<(&'static str, Vec<&'static str>)>,
    asked: RefCell<Vec<Option<String>>>,
}

impl Shelf {
    fn new(pages: Vec<(&'static str, Vec<&'static str>)>) -> Self {
        Self {
            pages,
            asked: RefCell::new(Vec::new()),
        }
    }

    fn fetches(&self) -> usize {
        self.asked.borrow().len()
    }
}

impl Catalogue for &Shelf {
    async fn page(&self, cursor: Option<&str>) -> Page {
        self.asked.borrow_mut().push(cursor.map(str::to_string));
        let at = match cursor {
            None => 0,
            Some(cursor) => match self.pages.iter().skip(1).position(|(c, _)| *c == cursor) {
                Some(at) => at + 1,
                None => panic!(
                    "the catalogue was asked for the page of cursor {cursor:?}, a cursor it \
                     never gave out. Ask for the next page with the cursor the previous page \
                     came with (`page.next`), as it is"
                ),
            },
        };
        sleep(Duration::from_millis(40)).await;
        let (_, items) = &self.pages[at];
        Page {
            items: items.iter().map(|item| item.to_string()).collect(),
            next: self.pages.get(at + 1).map(|(cursor, _)| cursor.to_string()),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn every_item_arrives_in_order_across_pages() {
    let shelf = Shelf::new(vec![
        ("", vec!["wren", "lark", "kite"]),
        ("k7x", vec![]),
        ("q2m", vec!["rook", "tern"]),
        ("zz9", vec!["hawk"]),
    ]);
    let got: Vec<String> = watchdog(
        LIMIT,
        "collecting every item",
        all_items(&shelf).collect::<Vec<String>>(),
    )
    .await;
    let asked: Vec<Option<String>> = shelf.asked.borrow().clone();
    let expected = ["wren", "lark", "kite", "rook", "tern", "hawk"];
    if got.len() < expected.len() && got.iter().zip(expected).all(|(g, e)| g == e) {
        let missing = &expected[got.len()..];
        let why = if got.len() == 3 {
            "The second page has no items, but it has a cursor: an empty page is not the end, \
             only a page without a cursor is"
        } else {
            "Those are the items of the last page: a page without a cursor is the last, but \
             its items still count. End at the step after it"
        };
        panic!(
            "the stream ended after {got:?}, without {missing:?} (pages fetched with cursors \
             {asked:?}). {why}"
        );
    }
    assert_eq!(
        got, expected,
        "the stream should give every item of every page, in order"
    );
    let expected_asked: Vec<Option<String>> = vec![
        None,
        Some("k7x".to_string()),
        Some("q2m".to_string()),
        Some("zz9".to_string()),
    ];
    assert_eq!(
        asked, expected_asked,
        "the catalogue should be asked for each page once, in order: the first page with no \
         cursor, then each page with the cursor the previous one came with"
    );
}

/// Pulls one item, and checks the number of pages fetched by then.
async fn pull(
    stream: &mut (impl futures::Stream<Item = String> + Unpin),
    shelf: &Shelf,
    taken: usize,
    expected_item: &str,
    expected_fetches: usize,
) {
    let item: Option<String> = watchdog(LIMIT, "the next item", stream.next()).await;
    assert_eq!(
        item.as_deref(),
        Some(expected_item),
        "item number {} of the stream",
        taken + 1
    );
    let fetches = shelf.fetches();
    assert!(
        fetches <= expected_fetches,
        "after the consumer had taken {} item(s), the catalogue had been asked for {fetches} \
         page(s); {expected_fetches} would have done. The stream fetches pages before they \
         are needed: fetching everything up front, or the next page along with the current \
         one, costs requests that a consumer who stops early never needed. Fetch one page per \
         step of `stream::unfold`, and let `flatten` ask for the next step only when the \
         current page is used up",
        taken + 1
    );
    assert_eq!(
        fetches,
        expected_fetches,
        "after the consumer had taken {} item(s), the catalogue had been asked for only \
         {fetches} page(s)",
        taken + 1
    );
}

#[tokio::test(start_paused = true)]
async fn a_page_is_fetched_only_when_an_item_from_it_is_wanted() {
    let shelf = Shelf::new(vec![
        ("", vec!["oak", "ash", "elm"]),
        ("p-19", vec!["yew", "fir", "box"]),
        ("p-20", vec!["bay", "fig"]),
        ("p-21", vec!["pine", "teak", "lime", "palm"]),
    ]);
    let mut stream = Box::pin(all_items(&shelf));
    sleep(Duration::from_millis(300)).await;
    assert_eq!(
        shelf.fetches(),
        0,
        "the stream was created and not yet polled, and the catalogue was already asked for a \
         page: a stream should do nothing before its first poll"
    );
    let items = ["oak", "ash", "elm", "yew", "fir", "box", "bay"];
    let fetches = [1, 1, 1, 2, 2, 2, 3];
    for (taken, (item, expected)) in items.iter().zip(fetches).enumerate() {
        pull(&mut stream, &shelf, taken, item, expected).await;
        if taken == 2 {
            // A pause with nobody asking: nothing should be fetched meanwhile.
            sleep(Duration::from_millis(500)).await;
            let fetches = shelf.fetches();
            assert_eq!(
                fetches, 1,
                "the consumer took the 3 items of the first page and then asked for nothing \
                 for 500ms; meanwhile the catalogue was asked for {fetches} page(s) in all. \
                 Nothing should be fetched while nobody asks: is something fetching ahead?"
            );
        }
    }
    drop(stream);
    sleep(Duration::from_secs(1)).await;
    let fetches = shelf.fetches();
    assert_eq!(
        fetches, 3,
        "the consumer took 7 items (3 pages' worth) and dropped the stream; the catalogue was \
         asked for {fetches} pages in all. Is something still fetching after the stream is \
         gone?"
    );
}

#[tokio::test(start_paused = true)]
async fn taking_a_few_items_costs_one_page() {
    let shelf = Shelf::new(vec![
        ("", vec!["one", "two", "three", "four"]),
        ("n-2", vec!["five"]),
    ]);
    let got: Vec<String> = watchdog(
        LIMIT,
        "taking two items",
        all_items(&shelf).take(2).collect::<Vec<String>>(),
    )
    .await;
    assert_eq!(got, ["one", "two"]);
    let fetches = shelf.fetches();
    assert_eq!(
        fetches, 1,
        "the first two items, both on the first page, cost {fetches} page requests; one is \
         enough. Fetch a page only when an item from it is wanted"
    );
}

#[tokio::test(start_paused = true)]
async fn an_empty_catalogue_is_an_empty_stream() {
    let shelf = Shelf::new(vec![("", vec![])]);
    let got: Vec<String> = watchdog(
        LIMIT,
        "collecting an empty catalogue",
        all_items(&shelf).collect::<Vec<String>>(),
    )
    .await;
    assert!(got.is_empty(), "an empty catalogue gave {got:?}");
    assert_eq!(shelf.fetches(), 1, "an empty catalogue is one page request");
}
