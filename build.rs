//! Compiles our own Mesos v1 `.proto` files with protox (pure Rust, no `protoc`) and prost-build,
//! and writes the file descriptor set that `prost-reflect` uses for the message proxies.
use std::path::PathBuf;

const PROTOS: &[&str] = &[
    "proto/mesos/v1/mesos.proto",
    "proto/mesos/v1/scheduler/scheduler.proto",
    "proto/mesos/v1/executor/executor.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for p in PROTOS {
        println!("cargo:rerun-if-changed={p}");
    }
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let fds = protox::compile(PROTOS, ["proto"])?;
    let mut config = prost_build::Config::new();
    // BTreeMap, not HashMap: map fields (TaskInfo.limits, FrameworkInfo.offer_filters, ...)
    // then encode in key order, so the same message always gives the same bytes.
    config.btree_map(["."]);
    std::fs::write(
        out.join("mesos_descriptor.bin"),
        prost::Message::encode_to_vec(&fds),
    )?;
    config.compile_fds(fds)?;
    Ok(())
}
