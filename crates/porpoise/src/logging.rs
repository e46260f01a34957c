//! Log lines: `<time> <LEVEL> <node alias> <target>: <message fields>`, one per event, to
//! `-logFile` (stdoutLog 0), stdout (1) or both (2).

use std::fmt;
use std::fs::OpenOptions;
use std::io::Write;
use std::sync::{Arc, Mutex};

use server::Config;
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;

/// DolphinDB's default log file name, under the home directory.
const DEFAULT_LOG_FILE: &str = "dolphindb.log";

struct NodeFormat {
    alias: String,
}

impl<S, N> FormatEvent<S, N> for NodeFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        SystemTime.format_time(&mut w)?;
        let meta = event.metadata();
        write!(w, " {} {} {}: ", meta.level(), self.alias, meta.target())?;
        ctx.field_format().format_fields(w.by_ref(), event)?;
        writeln!(w)
    }
}

/// Where lines go: a file, stdout, or both.
#[derive(Clone)]
struct Sink {
    file: Option<Arc<Mutex<std::fs::File>>>,
    stdout: bool,
}

struct SinkWriter(Sink);

impl Write for SinkWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(f) = &self.0.file {
            let mut f = f.lock().unwrap_or_else(|e| e.into_inner());
            f.write_all(buf)?;
        }
        if self.0.stdout {
            std::io::stdout().write_all(buf)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Sink {
    type Writer = SinkWriter;
    fn make_writer(&'a self) -> SinkWriter {
        SinkWriter(self.clone())
    }
}

/// Installs the global logger for this node.
pub fn init(config: &Config) -> Result<(), String> {
    let to_stdout = config.stdout_log >= 1;
    let to_file = config.stdout_log != 1;
    let file = if to_file {
        let path = config
            .log_file
            .clone()
            .unwrap_or_else(|| config.home.join(DEFAULT_LOG_FILE));
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                format!("Failed to create the log directory {}: {e}", dir.display())
            })?;
        }
        let f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| format!("Failed to open the log file {}: {e}", path.display()))?;
        Some(Arc::new(Mutex::new(f)))
    } else {
        None
    };
    let sink = Sink {
        file,
        stdout: to_stdout,
    };
    tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .event_format(NodeFormat {
            alias: config.local_site.alias.clone(),
        })
        .with_writer(sink)
        .try_init()
        .map_err(|e| format!("Failed to start logging: {e}"))
}
