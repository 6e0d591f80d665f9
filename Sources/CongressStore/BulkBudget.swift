/// How much one statement of a bulk write may carry. PostgreSQL refuses a message over 1 GB and drops the connection
/// (`invalid message length`); a write of a whole province's records binds more than that, so every bulk write is
/// split into statements of at most `rows` rows and about `bytes` bytes of bound values, run in the caller's
/// transaction one after the other: the write stays all or nothing.
public struct BulkBudget: Sendable, Equatable {
    public var rows: Int
    public var bytes: Int

    public init(rows: Int, bytes: Int) {
        precondition(rows > 0 && bytes > 0, "a bulk budget holds at least one row")
        self.rows = rows
        self.bytes = bytes
    }

    /// Far below PostgreSQL's limit, so that neither side holds more than a few such messages in memory.
    public static let standard = BulkBudget(rows: 50_000, bytes: 64 << 20)

    /// The bytes a row's fixed columns (ids, codes, versions, flags) cost in a statement besides its body.
    private static let rowOverhead = 128

    /// Consecutive index ranges covering `items` in order, each within the budget by `size` (bytes an item binds); an
    /// item larger than the budget on its own goes alone. Empty for no items.
    public func chunks<Items: RandomAccessCollection>(_ items: Items, size: (Items.Element) -> Int) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        var bytes = 0
        for (index, item) in items.enumerated() {
            let itemBytes = size(item)
            if index > start && (index - start == rows || bytes + itemBytes > self.bytes) {
                ranges.append(start..<index)
                (start, bytes) = (index, 0)
            }
            bytes += itemBytes
        }
        if start < items.count { ranges.append(start..<items.count) }
        return ranges
    }

    /// `chunks` of rows that bind `texts` (JSON bodies, keys) besides fixed-size columns.
    public func chunks(texts: [String]) -> [Range<Int>] {
        chunks(texts) { $0.utf8.count + Self.rowOverhead }
    }

    /// `chunks` of rows that bind only fixed-size columns (ids, codes, versions).
    public func chunks(count: Int) -> [Range<Int>] {
        chunks(0..<count) { _ in Self.rowOverhead }
    }
}
