import Synchronization

/// How many children's batches this node receives and applies at once, so that its memory does not grow with the
/// number of children pushing at the same time (a province's hundred counties at 02:00, SPEC §16).
///
/// A batch is admitted before its body is read, and holds its place until it is applied: a batch waiting for its turn
/// has read nothing but its head, and the rest of its upload stays in the socket, where TCP holds the child back. So
/// waiting costs a connection, not megabytes. Batches are admitted in the order they came.
///
/// One not admitted within `wait` is turned away (503 `busy` with `Retry-After`) before its body is read; the child
/// sends it again without counting a failed attempt. The parent thus answers within `wait`, well inside any child's
/// request timeout, whatever the queue, and no child's run fails because others pushed first. (A child whose own
/// timeout is shorter gives up first and retries as after any timeout; its place is freed when its turn comes, as its
/// body can no longer be read.)
final class BatchAdmission: Sendable {
    /// Where the queue stands, as `/metrics` shows it.
    struct Counts: Sendable {
        var applying = 0
        var waiting = 0
        /// The most batches ever received and applied at once since the node started.
        var mostApplying = 0
        /// Batches answered `busy` since the node started.
        var turnedAway = 0
    }

    private struct Waiter {
        var id: Int
        var resume: CheckedContinuation<Bool, Never>
    }

    private struct State {
        var counts = Counts()
        var queue: [Waiter] = []
        var lastID = 0
    }

    let limit: Int
    let wait: Duration
    private let state = Mutex(State())

    init(limit: Int, wait: Duration) {
        precondition(limit > 0, "at least one batch is admitted at a time")
        self.limit = limit
        self.wait = wait
    }

    var counts: Counts { state.withLock { $0.counts } }

    /// Runs `work` once admitted; nil, without running it, when no place came free within `wait`.
    func whenAdmitted<Value>(_ work: () async throws -> Value) async throws -> Value? {
        guard await enter() else { return nil }
        defer { leave() }
        return try await work()
    }

    private func enter() async -> Bool {
        let id = state.withLock { state in
            state.lastID += 1
            return state.lastID
        }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (resume: CheckedContinuation<Bool, Never>) in
                let now = state.withLock { state in
                    guard state.counts.applying < limit, state.queue.isEmpty else {
                        state.queue.append(Waiter(id: id, resume: resume))
                        state.counts.waiting = state.queue.count
                        return false
                    }
                    state.counts.applying += 1
                    state.counts.mostApplying = max(state.counts.mostApplying, state.counts.applying)
                    return true
                }
                guard !now else { return resume.resume(returning: true) }
                Task { [self] in
                    try? await Task.sleep(for: wait)
                    turnAway(id)
                }
            }
        } onCancel: {
            turnAway(id)
        }
    }

    /// Ends `id`'s wait unadmitted, if it is still waiting.
    private func turnAway(_ id: Int) {
        let waiter = state.withLock { state -> Waiter? in
            guard let index = state.queue.firstIndex(where: { $0.id == id }) else { return nil }
            state.counts.turnedAway += 1
            defer { state.counts.waiting = state.queue.count }
            return state.queue.remove(at: index)
        }
        waiter?.resume.resume(returning: false)
    }

    /// Hands the place to the first waiting batch, or frees it.
    private func leave() {
        let next = state.withLock { state -> Waiter? in
            guard !state.queue.isEmpty else {
                state.counts.applying -= 1
                return nil
            }
            defer { state.counts.waiting = state.queue.count }
            return state.queue.removeFirst()
        }
        next?.resume.resume(returning: true)
    }
}
