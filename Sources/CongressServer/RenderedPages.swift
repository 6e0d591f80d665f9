import CongressCore
import NIOCore
import Synchronization

/// Answers rendered earlier, kept while the node's data stands still, for reads that are the same for every caller (the
/// case list). One is valid for the change counter's value it was rendered at — every record write moves it: local,
/// applied from below or above, re-coded, and those of another process on the same database — and for its day in
/// China (cases turn overdue at midnight). A page read many times between writes then costs one read of the counter,
/// and after a write the requests arriving together wait for one rendering.
final class RenderedPages: Sendable {
    struct Stamp: Hashable, Sendable {
        var lastSeq: Int64
        var day: CalendarDate
    }

    private struct State: Sendable {
        var pages: [String: (stamp: Stamp, body: ByteBuffer)] = [:]
        var rendering: [String: (stamp: Stamp, task: Task<ByteBuffer, any Error>)] = [:]
    }

    private let state = Mutex(State())
    /// Distinct requests kept at once; past it, pages out of date go, then all.
    private let capacity: Int

    init(capacity: Int = 256) {
        self.capacity = capacity
    }

    /// The body rendered for `request` at `stamp`: kept, being rendered, or rendered now by `render`. The stamp is read
    /// before the rendering, so a page kept under it may be newer than it, never older.
    func body(for request: String, at stamp: Stamp, render: @escaping @Sendable () async throws -> ByteBuffer) async throws -> ByteBuffer {
        let found: Found = state.withLock { state in
            if let kept = state.pages[request], kept.stamp == stamp { return .kept(kept.body) }
            if let under = state.rendering[request], under.stamp == stamp { return .rendering(under.task) }
            let task = Task {
                defer { self.finished(request, at: stamp) }
                let body = try await render()
                self.keep(body, for: request, at: stamp)
                return body
            }
            state.rendering[request] = (stamp, task)
            return .rendering(task)
        }
        switch found {
        case .kept(let body): return body
        case .rendering(let task): return try await task.value
        }
    }

    private enum Found {
        case kept(ByteBuffer)
        case rendering(Task<ByteBuffer, any Error>)
    }

    private func keep(_ body: ByteBuffer, for request: String, at stamp: Stamp) {
        state.withLock { state in
            if let kept = state.pages[request], kept.stamp.lastSeq > stamp.lastSeq { return }
            if state.pages.count >= capacity, state.pages[request] == nil {
                state.pages = state.pages.filter { $0.value.stamp == stamp }
                if state.pages.count >= capacity { state.pages.removeAll() }
            }
            state.pages[request] = (stamp, body)
        }
    }

    private func finished(_ request: String, at stamp: Stamp) {
        state.withLock { state in
            if state.rendering[request]?.stamp == stamp { state.rendering[request] = nil }
        }
    }
}
