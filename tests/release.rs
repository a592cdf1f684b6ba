//! The release, checked without releasing: `.github/workflows/release.yml` parses, builds the
//! platforms the README promises (and only those), pins every action, publishes only on a
//! tag; `pyproject.toml` packages the `grade` binary with maturin. (`scripts/test-wheel`
//! builds and installs a wheel for real; it is too slow for this suite.)

use std::collections::BTreeSet;

use serde_yaml_ng::Value;

use crate::util::root;

fn workflow() -> Value {
    let text = std::fs::read_to_string(root().join(".github/workflows/release.yml")).unwrap();
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("release.yml: {e}"))
}

pub(crate) fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v:?}"))
}

/// Every step of every job, with its job's name.
pub(crate) fn steps(w: &Value) -> Vec<(String, &Value)> {
    let mut out = Vec::new();
    for (name, job) in w["jobs"].as_mapping().expect("jobs") {
        for step in job["steps"].as_sequence().expect("steps") {
            out.push((str_of(name).to_string(), step));
        }
    }
    out
}

/// The archive targets the wheel jobs' matrices build.
fn built_targets(w: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for job in ["linux", "macos", "windows"] {
        let platforms = w["jobs"][job]["strategy"]["matrix"]["platform"]
            .as_sequence()
            .unwrap_or_else(|| panic!("{job}: no matrix.platform"));
        for p in platforms {
            out.insert(str_of(&p["archive"]).to_string());
        }
    }
    out
}

#[test]
fn the_workflow_builds_every_platform_the_readme_lists() {
    let w = workflow();
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let re = regex_lite::Regex::new(r"`grade-VERSION-([a-z0-9_-]+)\.(?:tar\.gz|zip)`").unwrap();
    let listed: BTreeSet<String> = re
        .captures_iter(&readme)
        .map(|c| c[1].to_string())
        .collect();
    assert_eq!(
        built_targets(&w),
        listed,
        "README's platform table vs the workflow"
    );
    let expected = [
        "aarch64-apple-darwin",
        "aarch64-unknown-linux-gnu",
        "aarch64-unknown-linux-musl",
        "x86_64-apple-darwin",
        "x86_64-pc-windows-msvc",
        "x86_64-unknown-linux-gnu",
        "x86_64-unknown-linux-musl",
    ];
    assert_eq!(listed, expected.iter().map(|s| s.to_string()).collect());
    // Linux wheels for old glibc (manylinux2014: 2.17) and for musl.
    let linux: BTreeSet<(String, String)> = w["jobs"]["linux"]["strategy"]["matrix"]["platform"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|p| {
            (
                str_of(&p["target"]).to_string(),
                str_of(&p["manylinux"]).to_string(),
            )
        })
        .collect();
    for target in ["x86_64", "aarch64"] {
        for tag in ["2014", "musllinux_1_2"] {
            assert!(linux.contains(&(target.into(), tag.into())), "{linux:?}");
        }
    }
}

#[test]
fn every_wheel_is_built_by_maturins_action_and_every_action_is_pinned() {
    let w = workflow();
    for job in ["linux", "macos", "windows", "sdist"] {
        let uses: Vec<&str> = w["jobs"][job]["steps"]
            .as_sequence()
            .unwrap()
            .iter()
            .filter_map(|s| s["uses"].as_str())
            .collect();
        assert!(uses.contains(&"PyO3/maturin-action@v1"), "{job}: {uses:?}");
    }
    for (job, step) in steps(&w) {
        if let Some(uses) = step["uses"].as_str() {
            let (_, version) = uses
                .split_once('@')
                .unwrap_or_else(|| panic!("{job}: {uses} is not pinned to a version"));
            assert!(!version.is_empty() && version != "main" && version != "master");
        }
        assert!(
            step["uses"].is_string() != step["run"].is_string(),
            "{job}: a step either uses an action or runs a command: {step:?}"
        );
        // Every script a step runs is in the repository.
        if let Some(run) = step["run"].as_str() {
            for word in run.split_whitespace() {
                if let Some(script) = word.strip_prefix("scripts/") {
                    assert!(
                        root().join("scripts").join(script).is_file(),
                        "{job}: scripts/{script} does not exist"
                    );
                }
            }
        }
    }
    for args in steps(&w)
        .iter()
        .filter(|(_, s)| s["uses"] == "PyO3/maturin-action@v1")
        .filter_map(|(_, s)| s["with"]["args"].as_str())
        .filter(|a| a.contains("--release"))
    {
        assert!(args.contains("--locked"), "{args}");
    }
}

#[test]
fn only_a_tag_publishes_and_the_jobs_fit_together() {
    let w = workflow();
    let on = &w["on"];
    assert_eq!(on["push"]["tags"][0], "v*", "{on:?}");
    assert!(
        on["push"]["branches"].is_null(),
        "a push to a branch must not release"
    );
    assert_eq!(w["permissions"]["contents"], "read");
    let jobs = w["jobs"].as_mapping().unwrap();
    let names: BTreeSet<&str> = jobs.keys().map(str_of).collect();
    for (name, job) in jobs {
        assert!(job["runs-on"].is_string(), "{name:?}: runs-on");
        for need in job["needs"].as_sequence().into_iter().flatten() {
            assert!(names.contains(str_of(need)), "{name:?} needs {need:?}");
        }
    }
    for publishing in ["github-release", "pypi"] {
        let job = &w["jobs"][publishing];
        assert_eq!(
            job["if"], "startsWith(github.ref, 'refs/tags/v')",
            "{publishing}"
        );
    }
    assert_eq!(
        w["jobs"]["github-release"]["permissions"]["contents"],
        "write"
    );
    assert_eq!(w["jobs"]["pypi"]["permissions"]["id-token"], "write");
    // PyPI gets the wheels and the sdist, never the plain archives.
    let pypi_download = w["jobs"]["pypi"]["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| s["uses"] == "actions/download-artifact@v4")
        .expect("pypi downloads the artifacts");
    assert_eq!(pypi_download["with"]["pattern"], "dist-*");
    // The release's wheel is installed and graded with before anything is published.
    let release_needs: BTreeSet<&str> = w["jobs"]["github-release"]["needs"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(str_of)
        .collect();
    for job in ["test-wheel", "linux", "macos", "windows", "sdist"] {
        assert!(release_needs.contains(job), "{release_needs:?}");
    }
}

#[test]
fn pyproject_packages_the_grade_binary_with_maturin() {
    let text = std::fs::read_to_string(root().join("pyproject.toml")).unwrap();
    let p: toml::Value = toml::from_str(&text).unwrap();
    assert_eq!(p["build-system"]["build-backend"].as_str(), Some("maturin"));
    assert_eq!(p["project"]["name"].as_str(), Some("netgrade"));
    let m = &p["tool"]["maturin"];
    assert_eq!(m["bindings"].as_str(), Some("bin"));
    assert_eq!(m["module-name"].as_str(), Some("netgrade"));
    let source = root().join(m["python-source"].as_str().unwrap());
    assert!(source.join("netgrade/__main__.py").is_file());
    assert!(
        root()
            .join(p["project"]["readme"].as_str().unwrap())
            .is_file()
    );
    // The version is Cargo's: one number to change for a release.
    let dynamic = p["project"]["dynamic"].as_array().unwrap();
    assert!(dynamic.iter().any(|v| v.as_str() == Some("version")));
}
