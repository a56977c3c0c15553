// Valid alternative: each error matched out and returned by hand, with the path.
// async_fn5: `?` after `.await`, across error types, with context
//
// Errors in async code work as they do everywhere else in Rust: an async fn returns a
// `Result`, and `?` passes an error up to the caller. The only new thing is the order:
// `.await` first to get the `Result` out of the future, then `?` on the `Result`:
//
//     let text = files.read(path).await?;    // right
//     let text = files.read(path)?.await;    // wrong: a future is not a Result
//
// `?` also converts the error: in a function returning `Result<T, E>`, `?` on an `Err(e)`
// returns `Err(E::from(e))`. When the callee's error type differs from yours, you can
// write an `impl From<TheirError> for YourError` and `?` uses it. But `From` gets only the
// error, nothing else. "No such file or directory" without saying *which* file is a poor
// error message. When the caller knows something the error does not, wrap the error
// yourself before the `?`:
//
//     result.map_err(|source| MyError::Something { detail, source })?
//
// Keep the original error inside as the `source`: whoever prints the error can then show
// the whole chain, from "could not read `app.conf`" down to "no such file".
//
// Below, `load_port` reads a port number from a configuration file and does not compile:
// `?` does not know how to turn an `io::Error` or a `ParseIntError` into a `ConfigError`.
// Turn each one into the right `ConfigError` variant, with the path of the file.

use std::collections::HashMap;
use std::error::Error;
use std::fmt;
use std::io;
use std::num::ParseIntError;
use std::time::Duration;

// A pretend file system: file contents by path.
#[derive(Default)]
struct Files {
    contents: HashMap<String, String>,
}

impl Files {
    fn with(entries: &[(&str, &str)]) -> Self {
        let contents = entries
            .iter()
            .map(|(path, text)| (path.to_string(), text.to_string()))
            .collect();
        Self { contents }
    }

    // Reads a whole file; the sleep stands in for the disk.
    async fn read(&self, path: &str) -> io::Result<String> {
        tokio::time::sleep(Duration::from_millis(1)).await;
        self.contents
            .get(path)
            .cloned()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))
    }
}

#[derive(Debug)]
enum ConfigError {
    // The file could not be read.
    Read { path: String, source: io::Error },
    // The file was read, but does not hold a port number.
    Parse { path: String, source: ParseIntError },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Read { path, .. } => write!(f, "could not read `{path}`"),
            ConfigError::Parse { path, .. } => write!(f, "`{path}` does not hold a port number"),
        }
    }
}

impl Error for ConfigError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            ConfigError::Read { source, .. } => Some(source),
            ConfigError::Parse { source, .. } => Some(source),
        }
    }
}

// Reads the port number stored in the file at `path`.
async fn load_port(files: &Files, path: &str) -> Result<u16, ConfigError> {
    let text = match files.read(path).await {
        Ok(text) => text,
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_string(),
                source,
            });
        }
    };
    match text.trim().parse::<u16>() {
        Ok(port) => Ok(port),
        Err(source) => Err(ConfigError::Parse {
            path: path.to_string(),
            source,
        }),
    }
}

#[tokio::main]
async fn main() {
    let files = Files::with(&[("server.conf", "8080\n"), ("broken.conf", "eighty")]);
    for path in ["server.conf", "broken.conf", "missing.conf"] {
        match load_port(&files, path).await {
            Ok(port) => println!("{path}: port {port}"),
            Err(err) => {
                println!("{path}: error: {err}");
                if let Some(cause) = err.source() {
                    println!("    caused by: {cause}");
                }
            }
        }
    }
}
