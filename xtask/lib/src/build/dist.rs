//! Building a prepared set into `dist/<set>/`: compile, verify, then write the SBOM
//! and the manifest beside the binary; a build that fails a check leaves nothing.

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

use crate::build::manifest::{Binary, Prepared};
use crate::build::verify::{explain, sbom_is_where_build_info_says, verify};
use crate::plan::hex;
use crate::project::Project;
use crate::sbom;

impl Prepared {
    /// Compiles into `dist/<set>/`, verifies the binary, writes the manifest and shows
    /// `plugins explain`.
    pub(crate) fn build_and_verify(&self, project: &Project) -> Result<()> {
        let plan = &self.plan;
        let built = self.compile(project, None)?;
        let dist = project.dist_dir(&plan.set);
        let _ = std::fs::remove_dir_all(&dist);
        std::fs::create_dir_all(&dist)
            .with_context(|| format!("cannot create {}", dist.display()))?;
        let binary = dist.join(project.host());
        std::fs::copy(&built, &binary)
            .with_context(|| format!("cannot copy {} to {}", built.display(), binary.display()))?;

        if let Err(err) = verify(project, self, &binary) {
            let _ = std::fs::remove_dir_all(&dist);
            return Err(err.context(format!(
                "removed {}: the build is not what the plan says",
                project.display(&dist)
            )));
        }

        let bytes = std::fs::read(&binary)?;
        let mut manifest = self.manifest();
        let shown = Binary {
            path: project.display(&binary),
            size: bytes.len() as u64,
            sha256: hex(&Sha256::digest(&bytes)),
            statically_linked: self.linux,
        };
        let sbom_path = dist.join(project.sbom_file());
        let sbom_text = match sbom::generate(project, self, &shown.sha256) {
            Ok(text) => text,
            Err(err) => {
                let _ = std::fs::remove_dir_all(&dist);
                return Err(err.context(format!(
                    "removed {}: cannot write its SBOM",
                    project.display(&dist)
                )));
            }
        };
        std::fs::write(&sbom_path, &sbom_text)
            .with_context(|| format!("cannot write {}", sbom_path.display()))?;
        manifest.sbom_sha256 = Some(hex(&Sha256::digest(sbom_text.as_bytes())));
        manifest.binary = Some(shown);
        let manifest_path = dist.join(project.manifest_file());
        std::fs::write(
            &manifest_path,
            serde_json::to_string_pretty(&manifest)? + "\n",
        )?;

        if self.target == self.host {
            sbom_is_where_build_info_says(&binary, &sbom_path)?;
            explain(&binary)?;
        }
        let shown = manifest.binary.as_ref().expect("set above");
        println!(
            "built {} ({} bytes, sha256 {}{}), {} and {}",
            shown.path,
            shown.size,
            shown.sha256,
            if self.mode.is_auditable() {
                ", dependency list embedded by cargo auditable"
            } else {
                ", NOT auditable (--no-auditable)"
            },
            project.display(&sbom_path),
            project.display(&manifest_path)
        );
        Ok(())
    }
}
