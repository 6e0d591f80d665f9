import Synchronization

/// A moment others wait for, signalled once: those already waiting are resumed, later ones go straight on.
public final class ReadySignal: Sendable {
    private struct State {
        var signalled = false
        var waiting: [Int: CheckedContinuation<Void, Never>] = [:]
        var lastWaiter = 0
    }

    private let state = Mutex(State())

    public init() {}

    public func signal() {
        let waiting = state.withLock { state in
            state.signalled = true
            defer { state.waiting = [:] }
            return Array(state.waiting.values)
        }
        for waiter in waiting { waiter.resume() }
    }

    /// Returns once `signal()` has been called, or once the waiting task is cancelled (check `Task.isCancelled`).
    public func wait() async {
        let waiter = state.withLock { state in
            state.lastWaiter += 1
            return state.lastWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state in
                    if state.signalled || Task.isCancelled { return true }
                    state.waiting[waiter] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiting.removeValue(forKey: waiter) }?.resume()
        }
    }
}
