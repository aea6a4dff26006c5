# Sourced by scripts/build-static, packaging/build and packaging/check: the package's version.
#
# The package version is Cargo.toml's version and a package release, `<version>-<release>`
# (deb: Version 0.1.0-1; rpm: Version 0.1.0, Release 1), and `pmdci6 --version` prints the same.
# Raise package_release for a change of the packaging alone; set it back to 1 with a new version.
package_release=1

# The version in Cargo.toml's [package] table.
cargo_version() {
    awk '/^\[package\]/ { in_package = 1; next }
         /^\[/ { in_package = 0 }
         in_package && /^version *=/ { gsub(/[" ]/, "", $0); sub(/^version=/, "", $0); print; exit }' \
        "$1/Cargo.toml"
}
