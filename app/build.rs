//! Records how edge-agent was built, for `edge-agent build-info` (the `MUSTER_HOST_*`
//! variables `muster_kit::host_build!` reads).

fn main() {
    let mut features: Vec<String> = std::env::vars()
        .filter_map(|(k, _)| {
            k.strip_prefix("CARGO_FEATURE_")
                .map(|f| f.to_lowercase().replace('_', "-"))
        })
        .collect();
    features.sort();
    println!(
        "cargo:rustc-env=MUSTER_HOST_FEATURES={}",
        features.join(",")
    );
    for var in ["PROFILE", "TARGET", "OPT_LEVEL", "DEBUG"] {
        println!(
            "cargo:rustc-env=MUSTER_HOST_{var}={}",
            std::env::var(var).unwrap_or_default()
        );
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let version = std::process::Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .unwrap_or_default();
    println!("cargo:rustc-env=MUSTER_HOST_RUSTC={}", version.trim());
    for var in muster_names::BUILD_VARS {
        println!("cargo:rerun-if-env-changed={var}");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
