use super::*;

use std::sync::Arc;
use std::time::Duration;

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

/// A network none of the exercise's examples use. Slowest path: news (40ms page) with an image
/// of 260ms = 300ms; shop: 120 + 90 = 210ms; blog: 200 + 10 (its missing image) = 210ms.
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
    ("news.test/", 40, "<h1>News</h1>\nimg news.test/front.jpg"),
    ("news.test/front.jpg", 260, "JPEG-front-page"),
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
    let ((results, took), alive_during) = watchdog(LIMIT, "download_sites", async {
        let download = async {
            let results = download_sites(net, sites(names)).await;
            (results, start.elapsed())
        };
        tokio::join!(download, async {
            // Every page takes at least 40ms: a millisecond in, every site's task is running.
            sleep(ms(1)).await;
            alive_tasks()
        })
    })
    .await;
    Run {
        results,
        took,
        alive_during,
        alive_after: alive_tasks(),
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
            "news.test/",
            size("news.test/") + size("news.test/front.jpg"),
            1,
            0,
        ),
    ]
}

#[tokio::test(start_paused = true)]
async fn every_site_is_reported_in_order() {
    let names = [
        "blog.test/",
        "gone.test/",
        "shop.test/",
        "plain.test/",
        "news.test/",
    ];
    let run = run(&names).await;
    let expected = expected_all();
    assert_eq!(
        run.results.len(),
        expected.len(),
        "download_sites of {} sites returned {} results: one result per site, errors included",
        expected.len(),
        run.results.len()
    );
    for (i, (got, want)) in run.results.iter().zip(&expected).enumerate() {
        assert_eq!(
            got, want,
            "result {i} (for {:?}) was {got:?}, expected {want:?}. The results must be in the \
             order of `sites` (not the order they finish in); a site's bytes are its page plus \
             the images fetched, and a missing image counts in `missing`",
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
        "news.test/",
    ];
    let run = run(&names).await;
    assert_eq!(run.results, expected_all());
    // Reference times for these five sites: everything at once 300ms; sites at once but each
    // site's images one by one 305ms; sites one by one with their images at once 805ms;
    // everything one by one 905ms.
    let why = match run.took.as_millis() {
        305 => "a site's images should be fetched at the same time, not one after another",
        805 => "the sites should be downloaded at the same time, each on a task of its own",
        905 => "the sites, and each site's images, are fetched one after another",
        t if t > 300 => "some fetches still wait for others that they do not depend on",
        _ => "it finished before the slowest site could have been downloaded",
    };
    assert_eq!(
        run.took,
        ms(300),
        "download_sites took {:?} of virtual time; the slowest site (a 40ms page, then a 260ms \
         image) takes 300ms, and everything else fits beside it: {why}",
        run.took
    );
}

#[tokio::test(start_paused = true)]
async fn one_task_per_site_and_none_left_behind() {
    let names = ["shop.test/", "news.test/", "plain.test/"];
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
