//! Generates `kafka-protocol/src/messages/` from Apache Kafka's JSON message definitions.
//!
//! Usage: `cargo run -p kafka-protocol-codegen -- [--input DIR] [--output DIR]`.
//! Defaults: `../shared/kafka-messages` next to the workspace, and the crate's `src/messages`.
//!
//! What is generated: every request and response whose `listeners` include `broker`, the
//! request and response headers, and every `data` schema. One file per message plus `mod.rs`
//! with the `ApiKey` enum and the `RequestBody`/`ResponseBody` dispatch enums.

mod model;
mod render;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("codegen: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let crate_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let workspace = crate_dir
        .parent()
        .and_then(Path::parent)
        .ok_or("cannot locate the workspace root")?
        .to_path_buf();
    let mut input = workspace.join("../shared/kafka-messages");
    let mut output = workspace.join("kafka-protocol/src/messages");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--input" => input = args.next().ok_or("--input needs a directory")?.into(),
            "--output" => output = args.next().ok_or("--output needs a directory")?.into(),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let specs = model::load_dir(&input)?;
    let files = render::render_all(&specs)?;
    std::fs::create_dir_all(&output).map_err(|e| format!("{}: {e}", output.display()))?;
    // Remove stale generated files so a dropped message does not linger.
    for entry in std::fs::read_dir(&output).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|x| x == "rs") {
            std::fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    for (name, text) in &files {
        let path = output.join(name);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    println!("codegen: wrote {} files to {}", files.len(), output.display());
    Ok(())
}
