// Checks for quiz1: a concurrent downloader (join inside a task, a task per site).
//
// Mistakes a learner makes here, and how each is caught:
// - sites, or a site's images, fetched one after another: exact virtual times on a network
//   the exercise does not show, with a site whose four images all lie on the critical path.
// - images fetched a few at a time (a limit of 2, batches): that site's images then take
//   several rounds, later than the critical path.
// - results in completion order: the results must be in the order of `sites`.
// - no tasks (everything joined in the caller): the tasks alive a millisecond in are
//   counted, one per site.
// - tasks left detached, or the handles dropped and the results collected over a channel:
//   a malformed page makes one site's task panic; its result must be `Crashed` for that site,
//   which only what the task's JoinHandle reports can tell in general. A channel simply
//   misses it (or waits forever if a sender is kept).
// - a panicking task unwrapped (one bad page takes everything down): download_sites runs on
//   a task of its own and its panic is reported as such.
// - no task left behind: none alive when download_sites returns.

use super::{NetError, Network, SiteReport, download_sites};

use std::sync::Arc;
use std::time::Duration;

use asynclings_support::timeline::{self, Timeline};
use asynclings_support::watchdog;
use tokio::time::{Instant, sleep};

const LIMIT: Duration = Duration::from_secs(60);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn alive_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

/// A network none of the exercise's examples use. Slowest path: the gallery (40ms page) with
/// four images of 260ms, all at once = 300ms; shop: 120 + 90 = 210ms; blog: 200 + 10 (its
/// missing image) = 210ms; broken: a 30ms page that makes `image_urls` panic.
const RESOURCES: &[(&str, u64, &str)] = &[
    (
        "shop.test/",
        120,
        "<h1>Shop</h1>\nimg shop.test/cart.png\nimg shop.test/logo.svg\nimg shop.test/sale.gif",
    ),
    ("shop.test/cart.png", 90, "0123456789"),
    ("shop.test/logo.svg", 35, "<svg/>"),
    ("shop.test/sale.gif", 60, "GIF89a"),
    (
        "blog.test/",
        200,
        "<h1>Blog</h1>\nimg blog.test/me.jpg\nimg blog.test/old.jpg",
    ),
    ("blog.test/me.jpg", 5, "JPEGJPEG"),
    (
        "gallery.test/",
        40,
        "<h1>Gallery</h1>\nimg gallery.test/1.jpg\nimg gallery.test/2.jpg\nimg gallery.test/3.jpg\nimg gallery.test/4.jpg",
    ),
    ("gallery.test/1.jpg", 260, "JPEG-one"),
    ("gallery.test/2.jpg", 260, "JPEG-two!"),
    ("gallery.test/3.jpg", 260, "JPEG-three"),
    ("gallery.test/4.jpg", 260, "JPEG-four!!"),
    (
        "broken.test/",
        30,
        "<h1>Broken</h1>\nimg\nimg broken.test/x.png",
    ),
    ("broken.test/x.png", 5, "PNG"),
    ("plain.test/", 75, "no images here"),
];

fn network() -> Network {
    Network::new(RESOURCES)
}

/// The size of the body at `url`.
fn size(url: &str) -> usize {
    RESOURCES
        .iter()
        .find(|r| r.0 == url)
        .map(|r| r.2.len())
        .unwrap()
}

fn sites(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn report(site: &str, bytes: usize, images: usize, missing: usize) -> Result<SiteReport, NetError> {
    Ok(SiteReport {
        site: site.to_string(),
        bytes,
        images,
        missing,
    })
}

struct Run {
    results: Vec<Result<SiteReport, NetError>>,
    took: Duration,
    alive_during: usize,
    alive_after: usize,
}

async fn run(names: &[&str]) -> Run {
    let net = Arc::new(network());
    let start = Instant::now();
    let sites = sites(names);
    let ((results, took), alive_during) = watchdog(LIMIT, "download_sites", async {
        let download = async {
            // On a task of its own, so that a panic of download_sites is reported as such.
            let results = match tokio::spawn(download_sites(net, sites)).await {
                Ok(results) => results,
                Err(err) if err.is_panic() => panic!(
                    "download_sites itself panicked when one site's task panicked (a malformed \
                     page makes `image_urls` panic): awaiting that task's JoinHandle gives \
                     `Err(JoinError)` with `is_panic()`; turn it into \
                     `Err(NetError::Crashed(site))` instead of unwrapping it"
                ),
                Err(err) => panic!("the download_sites task failed: {err}"),
            };
            let results: Vec<Result<SiteReport, NetError>> = results;
            (results, start.elapsed())
        };
        tokio::join!(download, async {
            // Every page takes at least 10ms: a millisecond in, every site's task is running.
            sleep(ms(1)).await;
            alive_tasks()
        })
    })
    .await;
    Run {
        results,
        took,
        // The task that runs download_sites is one of them.
        alive_during: alive_during.saturating_sub(1),
        alive_after: alive_tasks(),
    }
}

type Plain = Result<(String, usize, usize, usize), (&'static str, String)>;

/// A result as std values, so that it is compared without the learner's `PartialEq`.
fn plain(result: &Result<SiteReport, NetError>) -> Plain {
    match result {
        Ok(SiteReport {
            site,
            bytes,
            images,
            missing,
        }) => {
            let (site, bytes, images, missing): (&String, &usize, &usize, &usize) =
                (site, bytes, images, missing);
            Ok((site.clone(), *bytes, *images, *missing))
        }
        Err(NetError::NotFound(url)) => {
            let url: &String = url;
            Err(("NotFound", url.clone()))
        }
        Err(NetError::Crashed(site)) => {
            let site: &String = site;
            Err(("Crashed", site.clone()))
        }
    }
}

fn expected_all() -> Vec<Result<SiteReport, NetError>> {
    vec![
        report(
            "blog.test/",
            size("blog.test/") + size("blog.test/me.jpg"),
            1,
            1,
        ),
        Err(NetError::NotFound("gone.test/".to_string())),
        report(
            "shop.test/",
            size("shop.test/")
                + size("shop.test/cart.png")
                + size("shop.test/logo.svg")
                + size("shop.test/sale.gif"),
            3,
            0,
        ),
        report("plain.test/", size("plain.test/"), 0, 0),
        report(
            "gallery.test/",
            size("gallery.test/")
                + size("gallery.test/1.jpg")
                + size("gallery.test/2.jpg")
                + size("gallery.test/3.jpg")
                + size("gallery.test/4.jpg"),
            4,
            0,
        ),
        Err(NetError::Crashed("broken.test/".to_string())),
    ]
}

#[tokio::test(start_paused = true)]
async fn every_site_is_reported_in_order() {
    let names = [
        "blog.test/",
        "gone.test/",
        "shop.test/",
        "plain.test/",
        "gallery.test/",
        "broken.test/",
    ];
    let run = run(&names).await;
    let expected = expected_all();
    assert_eq!(
        run.results.len(),
        expected.len(),
        "download_sites of {} sites returned {} results: one result per site, errors included. \
         A site whose task panicked (a malformed page makes `image_urls` panic) has a result \
         too, `Err(NetError::Crashed(site))`: awaiting its JoinHandle is what tells you it \
         panicked (a task that panics sends nothing on a channel)",
        expected.len(),
        run.results.len()
    );
    for (i, (got, want)) in run.results.iter().zip(&expected).enumerate() {
        let crashed = matches!(want, Err(NetError::Crashed(_)));
        let hint = if crashed {
            " A malformed page makes that site's task panic: its JoinHandle gives \
             `Err(JoinError)` with `is_panic()`, which becomes `Err(NetError::Crashed(site))`"
        } else {
            ""
        };
        assert_eq!(
            plain(got),
            plain(want),
            "result {i} (for {:?}) was {got:?}, expected {want:?}. The results must be in the \
             order of `sites` (not the order they finish in); a site's bytes are its page plus \
             the images fetched, and a missing image counts in `missing`.{hint}",
            names[i]
        );
    }
}

#[tokio::test(start_paused = true)]
async fn sites_and_images_are_fetched_at_the_same_time() {
    let names = [
        "blog.test/",
        "gone.test/",
        "shop.test/",
        "plain.test/",
        "gallery.test/",
        "broken.test/",
    ];
    let run = run(&names).await;
    let got: Vec<Plain> = run.results.iter().map(plain).collect();
    let expected: Vec<Plain> = expected_all().iter().map(plain).collect();
    assert_eq!(got, expected);
    let why = if run.took > ms(300) {
        "some fetches still wait for others that they do not depend on: are the sites all \
         downloaded at once, each on a task of its own, and are all of a site's images fetched \
         at the same time (not one by one, not a few at a time)?"
    } else {
        "it finished before the slowest site could have been downloaded"
    };
    // The network is the learner's: what the checks see is when download_sites returned.
    // Expected: each site's page, then its images all at once.
    let (recorded, expected) = (Timeline::new(), Timeline::new());
    recorded.span_at("download_sites", Duration::ZERO, run.took);
    expected.span_at("download_sites", Duration::ZERO, ms(300));
    for (site, page, images) in [
        ("gallery", 40, 260),
        ("blog", 200, 10),
        ("shop", 120, 90),
        ("plain", 75, 0),
        ("broken", 30, 0),
        ("gone", 10, 0),
    ] {
        expected.span_at(site, Duration::ZERO, ms(page + images));
    }
    timeline::assert_eq(run.took, ms(300), &recorded, Some(&expected), || {
        format!(
            "download_sites took {:?} of virtual time; the slowest site (a 40ms page, then four \
             images of 260ms) takes 300ms when its images are fetched together, and everything \
             else fits beside it: {why}",
            run.took
        )
    });
}

#[tokio::test(start_paused = true)]
async fn one_task_per_site_and_none_left_behind() {
    let names = ["shop.test/", "gallery.test/", "plain.test/"];
    let run = run(&names).await;
    assert_eq!(
        run.alive_during,
        names.len(),
        "while download_sites ran over {} sites, {} tasks were alive; expected one task per site",
        names.len(),
        run.alive_during
    );
    assert_eq!(
        run.alive_after, 0,
        "{} task(s) still running after download_sites returned: wait for every task it started",
        run.alive_after
    );
}

#[tokio::test(start_paused = true)]
async fn no_sites() {
    let run = run(&[]).await;
    assert!(
        run.results.is_empty(),
        "download_sites of no sites returned {:?}",
        run.results
    );
    assert_eq!(run.took, Duration::ZERO);
}
