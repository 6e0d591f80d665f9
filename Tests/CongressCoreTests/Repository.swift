import Foundation

/// The repository's checkout, for tests that read its shipped files (config/, data/, Tests/Fixtures/).
enum Repository {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}
