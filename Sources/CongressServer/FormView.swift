import CongressCore
import CongressStore
import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The pieces the staff's forms are made of, already in words (Mustache sees stored properties only).
enum FormView {
    /// A text field: what was typed, and why it was refused (beside it).
    struct Field {
        var name: String
        var value: String
        var error: String?
    }

    struct Option {
        var value: String
        var label: String
        var selected: Bool
    }

    /// A select: its options, the chosen one selected.
    struct Choice {
        var name: String
        var options: [Option]
        var error: String?

        /// `options` as (value, label).
        init(name: String, options: [(String, String)], chosen: String?, error: String?) {
            self.name = name
            self.options = options.map { Option(value: $0.0, label: $0.1, selected: $0.0 == chosen) }
            self.error = error
        }
    }

    /// A deputy offered in a form: ticked as a participant, or given a role in a group.
    struct Candidate {
        var id: String
        var name: String
        var detail: String
        var checked: Bool
        var roles: [Option]
        /// The form field a refusal named for this deputy (`participants[2]`, `members[0].deputyId`).
        var field: String?
        var error: String?

        init(_ deputy: Record<Deputy>, checked: Bool = false, role: String? = nil, refusal: (field: String, message: String)? = nil) {
            id = deputy.meta.id.uuidString
            name = deputy.body.name
            detail = "\(deputy.body.level.label)级代表 · \(deputy.body.congressCode) · \(deputy.meta.regionCode)"
            self.checked = checked
            roles =
                [Option(value: "", label: "不在本组", selected: role == nil)]
                + DeputyGroup.Member.Role.allCases.map { Option(value: $0.rawValue, label: $0.label, selected: $0.rawValue == role) }
            field = refusal?.field
            error = refusal?.message
        }
    }

    /// Why a write was refused: the field it names (as the API's error does) and its message, and the status the page
    /// is answered with. Nil for failures that are no refusal of the input (the database is down): those are thrown.
    struct Refusal {
        var status: HTTPResponse.Status
        var field: String?
        var message: String

        init?(_ error: any Error) {
            guard let translated = APIError(translating: error), translated.status.code < 500 else { return nil }
            status = translated.status
            field = translated.field
            message = translated.message
        }

        /// The message when it names `field`.
        func about(_ name: String) -> String? { field == name ? message : nil }

        /// The index when the field is `prefix[N]…`.
        func index(under prefix: String) -> Int? {
            guard let field, field.hasPrefix(prefix + "[") else { return nil }
            return Int(field.dropFirst(prefix.count + 1).prefix { $0.isNumber })
        }
    }

    /// The banner above a refused form: what to do, and the refusal itself when no field shows it.
    static func banner(_ refusal: Refusal?, fields: [String], lists: [String]) -> String? {
        guard let refusal else { return nil }
        let shownBeside = refusal.field.map { field in fields.contains(field) || lists.contains { field.hasPrefix($0) } } ?? false
        return shownBeside ? "未保存：请改正标出的项目（HTTP \(refusal.status.code)）。" : "未保存（HTTP \(refusal.status.code)）：\(refusal.message)"
    }

    /// A 303 to `location` once a form's write is done, naming the record written for the audit entry.
    static func done(_ location: String, record: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .contentLocation: record])
    }
}
