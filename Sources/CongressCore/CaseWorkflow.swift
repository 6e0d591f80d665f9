#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A constituent's opinion (社情民意) or a deputy's suggestion (代表建议) as SPEC §13 handles them: one workflow whose
/// state follows from the case's append-only events. The bodies that replicate (`Case`, `CaseEvent`) are plain facts;
/// this file says what they mean and which event may follow which.
public enum CaseKind: String, Codable, Sendable, CaseIterable {
    case opinion, suggestion
}

public enum CaseState: String, Codable, Sendable, CaseIterable {
    case registered, assigned, transferred, replied, closed

    /// The states that wait for a reply: a case in one of them past its deadline is overdue (SPEC §13).
    public static let awaitingReply: Set<CaseState> = [.registered, .assigned, .transferred]
}

public enum CaseAction: String, Codable, Sendable, CaseIterable {
    case assign, transfer, reply
    case answerOnSpot = "answer_on_spot"
    case explain, supervise, consult, feedback, reopen, close
}

/// How a closed case ended.
public enum CaseClosing: String, Codable, Sendable, CaseIterable {
    case handled
    /// 当场解答.
    case answeredOnSpot = "answered_on_spot"
    /// 不宜转交, explained to the constituent.
    case explained
}

/// 满意, 基本满意, 不满意.
public enum Satisfaction: String, Codable, Sendable, CaseIterable {
    case satisfied
    case basicallySatisfied = "basically_satisfied"
    case unsatisfied
}

/// How far a suggestion's handling went (A 已解决, B 正在解决, C 留作参考).
public enum SuggestionGrade: String, Codable, Sendable, CaseIterable {
    case a = "A"
    case b = "B"
    case c = "C"
}

/// One event as the workflow reads it: what happened, at which node, when, with what.
public struct CaseStep: Sendable, Equatable {
    public var id: UUID
    /// The node that wrote the event (its owner).
    public var node: RegionCode
    /// When the node recorded it: events are applied in this order (then by id), wherever they were written.
    public var at: Timestamp
    /// The day it happened (a reply's date, a consultation's).
    public var on: CalendarDate
    public var action: CaseAction
    /// Handling units, lead (主办) first, for `assign`.
    public var units: [String]
    /// The ancestor node a `transfer` hands the case to.
    public var to: RegionCode?
    public var grade: SuggestionGrade?
    public var satisfaction: Satisfaction?

    public init(
        id: UUID = UUID(),
        node: RegionCode,
        at: Timestamp,
        on: CalendarDate,
        action: CaseAction,
        units: [String] = [],
        to: RegionCode? = nil,
        grade: SuggestionGrade? = nil,
        satisfaction: Satisfaction? = nil
    ) {
        self.id = id
        self.node = node
        self.at = at
        self.on = on
        self.action = action
        self.units = units
        self.to = to
        self.grade = grade
        self.satisfaction = satisfaction
    }
}

/// Where a case stands after its events (SPEC Appendix B's output fields).
public struct CaseStatus: Sendable, Equatable, Codable {
    public var state: CaseState
    public var closedAs: CaseClosing?
    public var grade: SuggestionGrade?
    public var supervised: Bool
    public var consultedOn: CalendarDate?
    /// The node handling the case: where it was registered, or the ancestor it was transferred to.
    public var handler: RegionCode
    /// Lead unit first.
    public var units: [String]
    public var dueOn: CalendarDate?
    public var overdue: Bool
    public var transferredTo: RegionCode?
    /// The feedback on the latest reply, if any.
    public var satisfaction: Satisfaction?
    public var repliedOn: CalendarDate?
    public var closedOn: CalendarDate?
}

/// Why an event cannot follow the case's events so far: 409 for the state, 403 for the node.
public struct CaseTransitionError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// Not in this state (reply before assign, feedback twice): 409.
        case state
        /// Not this node's to do, or a transfer target that is not an ancestor: 403.
        case node
        /// The event itself is malformed for this case (a grade on an opinion): 422.
        case input
    }

    public var reason: Reason
    public var field: String?
    public var message: String
    public var description: String { message }
}

/// The deadlines of SPEC §13 (代表法: suggestions answered within three months of assignment, six for complex ones).
public struct CaseDeadlines: Sendable, Equatable {
    /// An opinion is replied within this many days of registration (`opinionReplyDays`).
    public var opinionReplyDays: Int
    public var suggestionMonths = 3
    public var complexSuggestionMonths = 6

    public static let standard = CaseDeadlines(opinionReplyDays: 15)

    public init(opinionReplyDays: Int) { self.opinionReplyDays = opinionReplyDays }
}

/// The workflow: the status a case's events lead to, and whether one more may follow.
public struct CaseWorkflow: Sendable {
    public var kind: CaseKind
    /// The node that registered the case: it keeps the constituent and records the feedback.
    public var origin: RegionCode
    public var registeredOn: CalendarDate
    public var complex: Bool
    public var deadlines: CaseDeadlines

    public init(kind: CaseKind, origin: RegionCode, registeredOn: CalendarDate, complex: Bool = false, deadlines: CaseDeadlines = .standard) {
        self.kind = kind
        self.origin = origin
        self.registeredOn = registeredOn
        self.complex = complex
        self.deadlines = deadlines
    }

    /// The status after `steps` (in any order: they are put in the order they were recorded), as of `today`. Events that
    /// could not follow (none are stored: the check refuses them first) are skipped rather than trusted.
    public func status(after steps: [CaseStep], today: CalendarDate) -> CaseStatus {
        var status = initial
        for step in Self.ordered(steps) where (try? check(step, after: status)) != nil {
            apply(step, to: &status)
        }
        status.overdue = status.dueOn.map { due in CaseState.awaitingReply.contains(status.state) && today > due } ?? false
        return status
    }

    /// Refuses `step` unless it may follow `status`, naming why.
    public func check(_ step: CaseStep, after status: CaseStatus) throws(CaseTransitionError) {
        func refuse(_ reason: CaseTransitionError.Reason, _ message: String, field: String? = "action") -> CaseTransitionError {
            CaseTransitionError(reason: reason, field: field, message: message)
        }
        let action = step.action.rawValue
        if status.state == .closed {
            throw refuse(.state, "the case is closed (\(status.closedAs?.rawValue ?? "handled")): \(action) cannot follow")
        }
        // Handling belongs to the handler; the constituent's side (feedback) to the origin; supervision to the handler
        // or any node above it.
        switch step.action {
        case .feedback:
            guard step.node == origin else { throw refuse(.node, "feedback is recorded by \(origin), which received the case") }
        case .supervise:
            guard step.node.contains(status.handler) else {
                throw refuse(.node, "only \(status.handler), which handles the case, or a node above it supervises it")
            }
        default:
            guard step.node == status.handler else { throw refuse(.node, "\(status.handler) handles this case: \(action) is its to record") }
        }
        switch step.action {
        case .assign:
            guard [.registered, .assigned, .transferred].contains(status.state) else {
                throw refuse(.state, "a \(status.state.rawValue) case is not assigned again (reopen it first)")
            }
            guard !step.units.isEmpty else { throw refuse(.input, "name the handling units, the lead unit (主办) first", field: "units") }
        case .transfer:
            guard kind == .opinion else {
                throw refuse(.state, "a suggestion stays at its congress's node: it is assigned there, not transferred")
            }
            guard [.registered, .assigned].contains(status.state) else {
                throw refuse(.state, "a \(status.state.rawValue) case is not transferred")
            }
            guard let to = step.to, to != status.handler, to.contains(status.handler) else {
                throw refuse(.node, "an opinion goes up to a node above \(status.handler), not to \(step.to?.rawValue ?? "nowhere")", field: "to")
            }
        case .reply:
            guard status.state == .assigned else {
                throw refuse(.state, "a \(status.state.rawValue) case is not replied to: assign it first")
            }
            if kind == .suggestion, step.grade == nil {
                throw refuse(.input, "a suggestion's reply is graded A (已解决), B (正在解决) or C (留作参考)", field: "grade")
            }
            if kind == .opinion, step.grade != nil { throw refuse(.input, "grades are for suggestions", field: "grade") }
        case .answerOnSpot:
            guard status.state == .registered, kind == .opinion else {
                throw refuse(.state, "only a newly registered opinion is answered on the spot")
            }
        case .explain:
            guard [.registered, .assigned].contains(status.state) else {
                throw refuse(.state, "a \(status.state.rawValue) case is not closed as explained")
            }
        case .supervise:
            guard !status.supervised else { throw refuse(.state, "the case is supervised already") }
        case .consult:
            guard kind == .suggestion else { throw refuse(.input, "面商 (consultation) is for suggestions") }
        case .feedback:
            guard status.state == .replied else { throw refuse(.state, "feedback follows a reply; the case is \(status.state.rawValue)") }
            guard status.satisfaction == nil else { throw refuse(.state, "the feedback on this reply is recorded already") }
            guard step.satisfaction != nil else {
                throw refuse(.input, "say how satisfied: satisfied, basically_satisfied or unsatisfied", field: "satisfaction")
            }
        case .reopen:
            guard status.state == .replied, status.satisfaction == .unsatisfied else {
                throw refuse(.state, "a case is reopened (重新办理) after an unsatisfied feedback on its reply")
            }
        case .close:
            guard status.state == .replied else { throw refuse(.state, "a \(status.state.rawValue) case is closed once replied") }
        }
    }

    private var initial: CaseStatus {
        CaseStatus(
            state: .registered,
            closedAs: nil,
            grade: nil,
            supervised: false,
            consultedOn: nil,
            handler: origin,
            units: [],
            dueOn: kind == .opinion ? registeredOn.adding(days: deadlines.opinionReplyDays) : nil,
            overdue: false,
            transferredTo: nil,
            satisfaction: nil,
            repliedOn: nil,
            closedOn: nil
        )
    }

    private func apply(_ step: CaseStep, to status: inout CaseStatus) {
        switch step.action {
        case .assign:
            status.state = .assigned
            status.units = step.units
            if kind == .suggestion, status.dueOn == nil {
                status.dueOn = step.on.adding(months: complex ? deadlines.complexSuggestionMonths : deadlines.suggestionMonths)
            }
        case .transfer:
            status.state = .transferred
            status.handler = step.to ?? status.handler
            status.transferredTo = step.to
            status.units = []
        case .reply:
            status.state = .replied
            status.grade = step.grade
            status.repliedOn = step.on
            status.satisfaction = nil
        case .answerOnSpot:
            (status.state, status.closedAs, status.closedOn) = (.closed, .answeredOnSpot, step.on)
        case .explain:
            (status.state, status.closedAs, status.closedOn) = (.closed, .explained, step.on)
        case .supervise:
            status.supervised = true
        case .consult:
            status.consultedOn = step.on
        case .feedback:
            status.satisfaction = step.satisfaction
        case .reopen:
            status.state = .assigned
        case .close:
            (status.state, status.closedAs, status.closedOn) = (.closed, .handled, step.on)
        }
    }

    static func ordered(_ steps: [CaseStep]) -> [CaseStep] { steps.sorted(by: recordedBefore) }

    /// Events are applied in the order they were recorded, then by id, wherever they were written.
    public static func recordedBefore(_ a: CaseStep, _ b: CaseStep) -> Bool { (a.at, a.id.uuidString) < (b.at, b.id.uuidString) }
}

extension CalendarDate {
    /// The same day `months` later (the month's last day when it has fewer days).
    public func adding(months: Int) -> CalendarDate {
        let total = year * 12 + (month - 1) + months
        let (newYear, newMonth) = (total / 12, total % 12 + 1)
        let newDay = min(day, CalendarDate.days(inMonth: newMonth, year: newYear))
        return CalendarDate("\(CalendarDate.pad(newYear, 4))-\(CalendarDate.pad(newMonth, 2))-\(CalendarDate.pad(newDay, 2))")!
    }
}
