// traits4: static dispatch where you can, dynamic where you must
//
// traits3 made a trait dyn compatible by boxing every call. That is the right price when the
// type is only known at run time, like plugins picked by name from a registry. It is a waste
// where the type is known at compile time: a generic function (`fn f<P: Plugin>`) is compiled
// once per plugin type, calls `P::handle` directly, and keeps the future inline in its own,
// with no allocation.
//
// You can have both. Keep the trait native, for static callers, and add a second trait, dyn
// compatible, that boxes. A blanket impl gives the second trait to every type that has the
// first, so a plugin author implements only `Plugin`:
//
//     trait Plugin { async fn handle(&self, request: &str) -> String; }          // static
//     trait DynPlugin { fn handle_boxed<'a>(&'a self, request: &'a str)
//                           -> Pin<Box<dyn Future<Output = String> + 'a>>; }   // dynamic
//     impl<P: Plugin> DynPlugin for P { ... Box::pin(self.handle(request)) ... }
//
//     registry.dispatch("upper", ..)  -> &dyn DynPlugin -> handle_boxed -> one box per call
//     serve_batch(&upper, ..)         -> P = Upper      -> handle        -> no box
//
// Only callers that go through `dyn` pay for the box. (The `dynosaur` crate writes the
// second trait and its impl for you.)
//
// Below, the blanket impl is missing, so nothing can be registered; and `serve_batch`, which
// knows its plugin's type, goes through the boxing trait anyway.

use std::pin::Pin;
use std::time::Duration;

use tokio::time::sleep;

/// A plugin, for callers that know its type at compile time.
trait Plugin {
    /// Answers one request.
    async fn handle(&self, request: &str) -> String;
}

/// The same, callable through `dyn DynPlugin`: every call returns a boxed future.
trait DynPlugin {
    fn handle_boxed<'a>(&'a self, request: &'a str) -> Pin<Box<dyn Future<Output = String> + 'a>>;
}

// Every `Plugin`, whatever its type, is also a `DynPlugin`: its future is boxed only when it
// is called through this trait.
impl<P: Plugin> DynPlugin for P {
    fn handle_boxed<'a>(&'a self, request: &'a str) -> Pin<Box<dyn Future<Output = String> + 'a>> {
        Box::pin(self.handle(request))
    }
}

/// Answers in capitals, after a little thought.
struct Upper;

impl Plugin for Upper {
    async fn handle(&self, request: &str) -> String {
        sleep(Duration::from_millis(20)).await;
        request.to_uppercase()
    }
}

/// Greets whoever asks.
struct Greeter {
    greeting: String,
}

impl Plugin for Greeter {
    async fn handle(&self, request: &str) -> String {
        sleep(Duration::from_millis(5)).await;
        format!("{}, {request}!", self.greeting)
    }
}

/// Plugins chosen by name at run time: dynamic dispatch.
#[derive(Default)]
struct Registry {
    plugins: std::collections::HashMap<String, Box<dyn DynPlugin>>,
}

impl Registry {
    fn register<P: Plugin + 'static>(&mut self, name: &str, plugin: P) {
        self.plugins.insert(name.to_string(), Box::new(plugin));
    }

    /// The answer of the plugin called `name`, or `None` if there is none.
    async fn dispatch(&self, name: &str, request: &str) -> Option<String> {
        let plugin = self.plugins.get(name)?;
        Some(plugin.handle_boxed(request).await)
    }
}

/// Runs a batch of requests, one after another, through a plugin whose type is known here.
async fn serve_batch<P: Plugin>(plugin: &P, requests: &[&str]) -> Vec<String> {
    // `P` is known here: `Plugin::handle` is called directly and its future is kept inline
    // in this one, with no box per request.
    let mut answers = Vec::new();
    for request in requests {
        answers.push(plugin.handle(request).await);
    }
    answers
}

#[tokio::main]
async fn main() {
    let mut registry = Registry::default();
    registry.register("upper", Upper);
    registry.register(
        "hello",
        Greeter {
            greeting: "Hello".to_string(),
        },
    );
    println!("{:?}", registry.dispatch("hello", "world").await);
    println!("{:?}", registry.dispatch("upper", "quiet please").await);
    println!("{:?}", serve_batch(&Upper, &["a", "b", "c"]).await);
}
