//! The grading's isolation, entered before the async runtime starts any thread: a private
//! network namespace (Linux) with hermetic mode's resolver files and the fixture private IP,
//! and in a batch a mount namespace that hides the class from each submission.

use std::path::PathBuf;

use super::{Cli, HermeticMode, usage};
use crate::lab::LabId;
use crate::labs;
use crate::rng::Rng;
use crate::submission::environment::Environment;

/// Enters a private network namespace for the grading (Linux, where namespaces can be made),
/// with hermetic mode's resolver files when the lab wants them, and the fixture private IP.
/// `--hermetic off` and lab01's `--lan` (the real interface) keep this computer's network.
pub(super) fn enter_isolation(cli: &mut Cli) -> Result<(labs::Hermetic, labs::Network), i32> {
    let lab = cli.grade.lab.as_deref().and_then(LabId::parse);
    let not_here = |why: &str| {
        Ok((
            labs::Hermetic::Unavailable(why.to_string()),
            labs::Network::Shared(why.to_string()),
        ))
    };
    let Some(lab) = lab.filter(|_| cli.command.is_none()) else {
        return not_here("not grading");
    };
    let mode = cli.grade.hermetic;
    if mode == HermeticMode::Off {
        return not_here("--hermetic off");
    }
    if lab == LabId::Lab01 && cli.grade.lan {
        return not_here("--lan");
    }
    // The seed is fixed now, so that the fixture address replays with --seed too.
    let seed = *cli.grade.seed.get_or_insert_with(Rng::fresh_seed);
    let wants_dns = labs::wants_hermetic(lab);
    #[cfg(target_os = "linux")]
    let result = {
        use crate::harness::netns;
        let plan = netns::Plan {
            files: if wants_dns {
                netns::resolver_files()
            } else {
                Vec::new()
            },
            lan: Some(Rng::named(seed, "lan_fixture").private_v4()),
        };
        netns::enter(&plan).map(|e| (e.lan, e.processes))
    };
    #[cfg(not(target_os = "linux"))]
    let result: std::io::Result<(Option<std::net::Ipv4Addr>, Result<(), String>)> = {
        let _ = seed;
        Err(std::io::Error::other("namespaces need Linux"))
    };
    match (result, mode) {
        (Ok((lan, processes)), _) => Ok((
            if wants_dns {
                labs::Hermetic::Active
            } else {
                labs::Hermetic::Unavailable("not used by this lab".into())
            },
            labs::Network::Isolated { lan, processes },
        )),
        (Err(e), HermeticMode::On) => Err(usage(format!(
            "--hermetic on: could not enter namespaces: {e}"
        ))),
        (Err(e), _) => not_here(&format!("namespaces: {e}")),
    }
}

/// Batch grading: in the grading's own mount namespace, covers `hide` (the class's folder, the
/// results, staff's graders, the other gradings' private homes), keeping this submission and
/// its private home. Nothing to do outside a batch, or where the network (and so the mount
/// namespace) is shared: the batch then says submissions were not isolated.
pub(super) fn hide_from_submission(
    hide: &[PathBuf],
    network: &labs::Network,
    root: &std::path::Path,
    environment: &Environment,
) -> std::io::Result<()> {
    if hide.is_empty() || !network.is_isolated() {
        return Ok(());
    }
    #[cfg(target_os = "linux")]
    {
        let mut keep = vec![root.to_path_buf()];
        if let Some(p) = environment.private() {
            keep.extend([p.home.clone(), p.tmp.clone()]);
        }
        crate::harness::netns::hide(hide, &keep)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (root, environment);
        Ok(())
    }
}
