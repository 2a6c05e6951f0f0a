/// Which Gatehouse this is: said by `gatehouse --version`, in `serve`'s first line, and as the
/// `gatehouse_build_info` metric. Raised at each release; `-dev` marks a build between releases.
package enum GatehouseVersion {
    /// The release, in semantic versioning.
    package static let release = "0.1.0-dev"
}
