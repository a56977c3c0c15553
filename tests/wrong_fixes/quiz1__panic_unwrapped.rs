// expect: download_sites itself panicked
// Wrong fix: the handles unwrapped, so one malformed page takes everything down.
// quiz1: a concurrent downloader
//
// Time to put join and spawn together. No new ideas here: everything you need is in
// 02_async_blocks, 03_join and 04_spawn.
//
// `download_sites` downloads several websites over a (pretend) network. What it must do:
//
// 1. For each site, fetch its page with `net.get(site)`. The page lists the images it needs
//    (`image_urls(&page)`). Fetch all of a site's images at the same time.
// 2. A site's report counts the bytes of its page plus those of every image that could be
//    fetched, how many images were fetched, and how many were missing (failed to fetch).
//    If the page itself cannot be fetched, the site's result is that error.
// 3. Download the sites at the same time, each site on a task of its own (one task per site).
// 4. Return one result per site, in the order of `sites`, whatever order they finish in.
// 5. When `download_sites` returns, none of the tasks it started may still be running.
// 6. A malformed page makes `image_urls` panic. The site whose task panicked gets the result
//    `Err(NetError::Crashed(site))`; the other sites are not affected.
//
// As shipped, it does everything one step at a time. With pages that take 100ms and images
// that take 50ms, three sites of four images each take 900ms; done right, 150ms.
//
//     site a  |-- page --|-- img --|
//                        |-- img --|
//     site b  |-- page --|-- img --|        all sites at once, each on its own task;
//                        |-- img --|        a site's images at once, inside its task
//
// The `Network` below is the pretend network: do not change it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use tokio::time::sleep;

#[derive(Debug, Clone, PartialEq)]
enum NetError {
    /// Nothing at this url.
    NotFound(String),
    /// Downloading this site panicked.
    Crashed(String),
}

/// A pretend network: every url it knows answers with its body after its latency. A url it
/// does not know fails with `NotFound` after 10ms.
struct Network {
    resources: HashMap<String, (Duration, String)>,
}

impl Network {
    /// A network serving `(url, latency in ms, body)` for each entry.
    fn new(resources: &[(&str, u64, &str)]) -> Self {
        let resources = resources
            .iter()
            .map(|&(url, ms, body)| {
                (
                    url.to_string(),
                    (Duration::from_millis(ms), body.to_string()),
                )
            })
            .collect();
        Network { resources }
    }

    async fn get(&self, url: &str) -> Result<String, NetError> {
        match self.resources.get(url) {
            Some((latency, body)) => {
                sleep(*latency).await;
                Ok(body.clone())
            }
            None => {
                sleep(Duration::from_millis(10)).await;
                Err(NetError::NotFound(url.to_string()))
            }
        }
    }
}

/// The image urls a page lists: the rest of every line that starts with "img". Panics on a
/// malformed page, with an "img" line that has no url.
fn image_urls(page: &str) -> Vec<String> {
    page.lines()
        .filter_map(|line| line.strip_prefix("img"))
        .map(|rest| {
            let url = rest.trim();
            assert!(!url.is_empty(), "malformed page: an img line without a url");
            url.to_string()
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq)]
struct SiteReport {
    site: String,
    /// The bytes of the page plus those of every image that was fetched.
    bytes: usize,
    /// How many images were fetched.
    images: usize,
    /// How many images failed to fetch.
    missing: usize,
}

/// Downloads one site: its page, then all its images.
async fn download_site(net: &Network, site: &str) -> Result<SiteReport, NetError> {
    let page = net.get(site).await?;
    let mut report = SiteReport {
        site: site.to_string(),
        bytes: page.len(),
        images: 0,
        missing: 0,
    };
    // The images are independent: `join_all` fetches them side by side inside this site's
    // task, and gives the results back in the order of the urls.
    let urls = image_urls(&page);
    for image in join_all(urls.iter().map(|url| net.get(url))).await {
        match image {
            Ok(image) => {
                report.bytes += image.len();
                report.images += 1;
            }
            Err(_) => report.missing += 1,
        }
    }
    Ok(report)
}

/// Downloads every site (see the rules at the top of the file).
async fn download_sites(
    net: Arc<Network>,
    sites: Vec<String>,
) -> Vec<Result<SiteReport, NetError>> {
    let tasks: Vec<_> = sites
        .into_iter()
        .map(|site| {
            let net = Arc::clone(&net);
            tokio::spawn(async move { download_site(&net, &site).await })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

#[tokio::main]
async fn main() {
    let net = Arc::new(Network::new(&[
        (
            "a.test/",
            100,
            "<h1>A</h1>\nimg a.test/1.png\nimg a.test/2.png",
        ),
        ("a.test/1.png", 50, "PNG.."),
        ("a.test/2.png", 50, "PNG...."),
        (
            "b.test/",
            100,
            "<h1>B</h1>\nimg b.test/logo.png\nimg b.test/gone.png",
        ),
        ("b.test/logo.png", 50, "PNG"),
    ]));
    let sites = ["a.test/", "b.test/", "c.test/"].map(String::from).to_vec();
    let start = tokio::time::Instant::now();
    for result in download_sites(net, sites).await {
        println!("{result:?}");
    }
    println!("in {:?}", start.elapsed());
}
