//! Links the addon against Node-API (napi-build sets the linker flags).

fn main() {
    napi_build::setup();
}
