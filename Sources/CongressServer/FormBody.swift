import CongressCore
import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A browser form's `application/x-www-form-urlencoded` body: its fields in order, a name once per checked box.
struct FormBody: Sendable {
    var pairs: [(name: String, value: String)]

    /// The largest form the node's pages send (a few hundred checked deputies and a summary).
    static let limit = 256 * 1024

    /// `+` is a space, `%XX` a byte of UTF-8; a pair that does not decode is dropped, as a browser never sends one.
    init(_ text: String) {
        pairs = text.split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decoded(_ part: Substring) -> String? { String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding }
            guard let name = decoded(parts[0]), let value = parts.count == 2 ? decoded(parts[1]) : "" else { return nil }
            return (name, value)
        }
    }

    /// The request's form, refused with 413 beyond `limit` bytes.
    static func collect(_ request: Request, limit: Int = FormBody.limit) async throws -> FormBody {
        FormBody(String(decoding: try await JSONBody.collect(request, limit: limit), as: UTF8.self))
    }

    /// The first value sent under `name`.
    subscript(_ name: String) -> String? { pairs.first { $0.name == name }?.value }

    /// Every value sent under `name`, in order.
    func all(_ name: String) -> [String] { pairs.filter { $0.name == name }.map(\.value) }

    /// The value under `name` trimmed, nil when absent or blank (an optional field left empty).
    func filled(_ name: String) -> String? {
        self[name].map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A whole number typed in a field, nil when blank.
    func integer(_ name: String) throws(InputError) -> Int? {
        guard let text = filled(name) else { return nil }
        guard let value = Int(text) else { throw InputError(field: name, message: "'\(text)' is not a whole number") }
        return value
    }

    /// A record chosen in a select, nil for none.
    func id(_ name: String) throws(InputError) -> UUID? {
        guard let text = filled(name) else { return nil }
        guard let id = UUID(uuidString: text) else { throw InputError(field: name, message: "'\(text)' is not a record id") }
        return id
    }

    /// A choice among `Value`'s cases.
    func choice<Value: RawRepresentable & CaseIterable>(_ name: String, _ type: Value.Type) throws(InputError) -> Value
    where Value.RawValue == String {
        guard let text = filled(name), let value = Value(rawValue: text) else {
            throw InputError(field: name, message: "choose one of \(Value.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    /// A day that exists, as a browser's date field sends it (`2026-11-30`).
    func date(_ name: String) throws(InputError) -> CalendarDate {
        guard let text = filled(name) else { throw InputError(field: name, message: "must not be empty") }
        guard let date = CalendarDate(text) else { throw InputError(field: name, message: "'\(text)' is not a date that exists (YYYY-MM-DD)") }
        return date
    }

    func region(_ name: String) throws(InputError) -> RegionCode {
        guard let text = filled(name) else { throw InputError(field: name, message: "must not be empty") }
        guard let code = RegionCode(text) else { throw InputError(field: name, message: "'\(text)' is not a region code") }
        return code
    }
}
