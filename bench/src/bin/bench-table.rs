//! The simplest registry: a static table of `(slot, version, constructor)` per
//! version (three pointers, no metadata, no policy, no facts, no report) over the
//! same N types as `bench-bound`. With `--load-only`, returns on entering `main`;
//! otherwise decides every slot as a registry must at least: finds its versions
//! (ten, adjacent), takes the newest (semver precedence, the version parsed),
//! constructs it and calls it.

#[allow(dead_code, missing_docs, unreachable_pub)] // Generated; reached through `TABLES` only.
mod generated {
    include!(concat!(env!("OUT_DIR"), "/bound.rs"));
}

fn main() {
    let Some((n, table)) = generated::largest(generated::TABLES) else {
        return;
    };
    let (mut sum, mut slots) = (0u64, 0);
    for versions in table.chunk_by(|a, b| a.0 == b.0) {
        let newest = versions
            .iter()
            .filter_map(|(_, v, construct)| Some((semver::Version::parse(v).ok()?, construct)))
            .max_by(|a, b| a.0.cmp_precedence(&b.0));
        if let Some((_, construct)) = newest {
            sum = sum.wrapping_add(construct().run(sum));
            slots += 1;
        }
    }
    println!("{n} versions, {slots} slots decided: {sum}");
}
