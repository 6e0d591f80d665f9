import CongressCore

/// The pushed batches this node is applying, by sender and first seq: a batch that finds a gap before it waits for the
/// end of one under way that starts within the gap (it may fill it) instead of being refused. Waits cannot form a
/// cycle: a batch only waits for one that starts before it.
actor BatchesUnderWay {
    private var batches: [Int: (sender: RegionCode, fromSeq: Int64)] = [:]
    private var lastTicket = 0
    private var waiting: [(sender: RegionCode, resume: CheckedContinuation<Void, Never>)] = []

    func begin(_ sender: RegionCode, from seq: Int64) -> Int {
        lastTicket += 1
        batches[lastTicket] = (sender, seq)
        return lastTicket
    }

    func end(_ ticket: Int) {
        guard let ended = batches.removeValue(forKey: ticket) else { return }
        // Every waiter for this sender looks again; one still short of its turn waits again.
        let (wake, keep) = (waiting.filter { $0.sender == ended.sender }, waiting.filter { $0.sender != ended.sender })
        waiting = keep
        for waiter in wake { waiter.resume.resume() }
    }

    /// Waits until a batch of `sender` under way (other than `ticket`) that starts at or before `seq` has ended; false at
    /// once if there is none.
    func awaitEnd(of sender: RegionCode, startingBy seq: Int64, other ticket: Int) async -> Bool {
        guard batches.contains(where: { $0.key != ticket && $0.value.sender == sender && $0.value.fromSeq <= seq }) else { return false }
        await withCheckedContinuation { waiting.append((sender, $0)) }
        return true
    }
}
