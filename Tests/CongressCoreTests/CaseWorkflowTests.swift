import Foundation
import Testing

@testable import CongressCore

/// SPEC §13's workflow: the state a case's events lead to, the transitions refused, the deadlines.
@Suite struct CaseWorkflowTests {
    static let township = RegionCode("420802101")!
    static let county = RegionCode("420802")!
    static let city = RegionCode("4208")!
    static let registered = CalendarDate("2026-03-02")!

    /// Events recorded one second apart, in the order given.
    struct Timeline {
        var steps: [CaseStep] = []
        var clock = Date(timeIntervalSince1970: 1_772_000_000)

        mutating func add(
            _ action: CaseAction,
            by node: RegionCode,
            on day: String = "2026-03-05",
            units: [String] = [],
            to: RegionCode? = nil,
            grade: SuggestionGrade? = nil,
            satisfaction: Satisfaction? = nil
        ) -> CaseStep {
            clock += 1
            let step = CaseStep(
                node: node,
                at: Timestamp(clock),
                on: CalendarDate(day)!,
                action: action,
                units: units,
                to: to,
                grade: grade,
                satisfaction: satisfaction
            )
            return step
        }
    }

    /// Applies `step` after checking it, as the node does before storing it.
    static func record(_ step: CaseStep, _ steps: inout [CaseStep], workflow: CaseWorkflow) throws(CaseTransitionError) {
        try workflow.check(step, after: workflow.status(after: steps, today: CalendarDate("2026-03-10")!))
        steps.append(step)
    }

    static func refusal(_ step: CaseStep, after steps: [CaseStep], workflow: CaseWorkflow) -> CaseTransitionError.Reason? {
        do {
            try workflow.check(step, after: workflow.status(after: steps, today: CalendarDate("2026-03-10")!))
            return nil
        } catch {
            return error.reason
        }
    }

    @Test func anOpinionIsAssignedRepliedToAnsweredForAndClosed() throws {
        let workflow = CaseWorkflow(kind: .opinion, origin: Self.township, registeredOn: Self.registered)
        var time = Timeline()
        var steps: [CaseStep] = []
        let today = CalendarDate("2026-03-10")!
        #expect(workflow.status(after: steps, today: today).state == .registered)
        #expect(workflow.status(after: steps, today: today).dueOn == CalendarDate("2026-03-17"), "15 days by default")

        // Reply before assign: refused, as is feedback before a reply.
        #expect(Self.refusal(time.add(.reply, by: Self.township), after: steps, workflow: workflow) == .state)
        #expect(Self.refusal(time.add(.feedback, by: Self.township, satisfaction: .satisfied), after: steps, workflow: workflow) == .state)
        #expect(Self.refusal(time.add(.assign, by: Self.township), after: steps, workflow: workflow) == .input, "no units")

        try Self.record(time.add(.assign, by: Self.township, units: ["镇城建办", "镇派出所"]), &steps, workflow: workflow)
        try Self.record(time.add(.reply, by: Self.township, on: "2026-03-09"), &steps, workflow: workflow)
        try Self.record(time.add(.feedback, by: Self.township, satisfaction: .basicallySatisfied), &steps, workflow: workflow)
        // Feedback twice: refused.
        #expect(Self.refusal(time.add(.feedback, by: Self.township, satisfaction: .satisfied), after: steps, workflow: workflow) == .state)
        try Self.record(time.add(.close, by: Self.township, on: "2026-03-10"), &steps, workflow: workflow)

        let status = workflow.status(after: steps, today: today)
        #expect(status.state == .closed && status.closedAs == .handled && status.closedOn == CalendarDate("2026-03-10"))
        #expect(status.units == ["镇城建办", "镇派出所"] && status.satisfaction == .basicallySatisfied && status.repliedOn == CalendarDate("2026-03-09"))
        #expect(!status.overdue && status.handler == Self.township)
        // Nothing follows a closed case.
        #expect(Self.refusal(time.add(.supervise, by: Self.county), after: steps, workflow: workflow) == .state)
    }

    /// 钱坑镇 cannot solve it: the county takes it over, the township keeps the constituent's side.
    @Test func anOpinionTransferredUpIsHandledThereAndAnsweredForBelow() throws {
        let workflow = CaseWorkflow(kind: .opinion, origin: Self.township, registeredOn: Self.registered)
        var time = Timeline()
        var steps: [CaseStep] = []
        // Not to a sibling, a descendant, itself or nowhere.
        for target in ["420802102", "420802101001", "420802101", "420804"] {
            #expect(
                Self.refusal(time.add(.transfer, by: Self.township, to: RegionCode(target)!), after: steps, workflow: workflow) == .node,
                "\(target)"
            )
        }
        #expect(Self.refusal(time.add(.transfer, by: Self.township), after: steps, workflow: workflow) == .node)
        // Only the handler transfers.
        #expect(Self.refusal(time.add(.transfer, by: Self.county, to: Self.city), after: steps, workflow: workflow) == .node)
        try Self.record(time.add(.transfer, by: Self.township, to: Self.county), &steps, workflow: workflow)
        var status = workflow.status(after: steps, today: Self.registered)
        #expect(status.state == .transferred && status.handler == Self.county && status.transferredTo == Self.county)

        // The township handles it no more; the county does; the city supervises.
        #expect(Self.refusal(time.add(.assign, by: Self.township, units: ["镇政府"]), after: steps, workflow: workflow) == .node)
        try Self.record(time.add(.assign, by: Self.county, units: ["区交通运输局"]), &steps, workflow: workflow)
        try Self.record(time.add(.supervise, by: Self.city), &steps, workflow: workflow)
        #expect(Self.refusal(time.add(.supervise, by: Self.county), after: steps, workflow: workflow) == .state, "once")
        try Self.record(time.add(.reply, by: Self.county), &steps, workflow: workflow)
        // The feedback is the township's (it keeps the constituent), not the handler's.
        #expect(Self.refusal(time.add(.feedback, by: Self.county, satisfaction: .satisfied), after: steps, workflow: workflow) == .node)
        try Self.record(time.add(.feedback, by: Self.township, satisfaction: .unsatisfied), &steps, workflow: workflow)
        // Unsatisfied: 重新办理, then a second reply and its own feedback.
        #expect(Self.refusal(time.add(.reopen, by: Self.township), after: steps, workflow: workflow) == .node)
        try Self.record(time.add(.reopen, by: Self.county), &steps, workflow: workflow)
        status = workflow.status(after: steps, today: Self.registered)
        #expect(status.state == .assigned && status.satisfaction == .unsatisfied && status.supervised)
        try Self.record(time.add(.reply, by: Self.county, on: "2026-03-08"), &steps, workflow: workflow)
        try Self.record(time.add(.feedback, by: Self.township, satisfaction: .satisfied), &steps, workflow: workflow)
        try Self.record(time.add(.close, by: Self.county), &steps, workflow: workflow)
        status = workflow.status(after: steps, today: Self.registered)
        #expect(status.state == .closed && status.satisfaction == .satisfied && status.repliedOn == CalendarDate("2026-03-08"))
        // A transferred case cannot be transferred on by the township, nor answered on the spot.
        #expect(workflow.status(after: Array(steps.prefix(1)), today: Self.registered).state == .transferred)
        #expect(Self.refusal(time.add(.answerOnSpot, by: Self.county), after: Array(steps.prefix(1)), workflow: workflow) == .state)
    }

    @Test func suggestionsStayAtTheirCongressAndAreGradedWithinThreeOrSixMonths() throws {
        for (complex, due) in [(false, "2026-06-30"), (true, "2026-09-30")] {
            let workflow = CaseWorkflow(kind: .suggestion, origin: Self.county, registeredOn: Self.registered, complex: complex)
            var time = Timeline()
            var steps: [CaseStep] = []
            #expect(workflow.status(after: steps, today: Self.registered).dueOn == nil, "the clock starts at assignment")
            #expect(Self.refusal(time.add(.transfer, by: Self.county, to: Self.city), after: steps, workflow: workflow) == .state)
            #expect(Self.refusal(time.add(.answerOnSpot, by: Self.county), after: steps, workflow: workflow) == .state)
            try Self.record(time.add(.assign, by: Self.county, on: "2026-03-31", units: ["区教育局", "区财政局"]), &steps, workflow: workflow)
            #expect(workflow.status(after: steps, today: Self.registered).dueOn == CalendarDate(due))
            try Self.record(time.add(.consult, by: Self.county, on: "2026-04-15"), &steps, workflow: workflow)
            #expect(Self.refusal(time.add(.reply, by: Self.county), after: steps, workflow: workflow) == .input, "a grade")
            try Self.record(time.add(.reply, by: Self.county, grade: .b), &steps, workflow: workflow)
            let status = workflow.status(after: steps, today: CalendarDate("2027-01-01")!)
            #expect(status.grade == .b && status.consultedOn == CalendarDate("2026-04-15") && !status.overdue, "replied: not overdue")
        }
        let opinion = CaseWorkflow(kind: .opinion, origin: Self.township, registeredOn: Self.registered)
        var time = Timeline()
        #expect(Self.refusal(time.add(.consult, by: Self.township), after: [], workflow: opinion) == .input)
    }

    @Test func aCaseIsOverdueWhileUnansweredPastItsDeadline() throws {
        let workflow = CaseWorkflow(
            kind: .opinion,
            origin: Self.township,
            registeredOn: Self.registered,
            deadlines: CaseDeadlines(opinionReplyDays: 10)
        )
        var time = Timeline()
        var steps: [CaseStep] = []
        #expect(!workflow.status(after: steps, today: CalendarDate("2026-03-12")!).overdue, "the last day is still in time")
        #expect(workflow.status(after: steps, today: CalendarDate("2026-03-13")!).overdue)
        try Self.record(time.add(.assign, by: Self.township, units: ["镇综治办"]), &steps, workflow: workflow)
        #expect(workflow.status(after: steps, today: CalendarDate("2026-03-13")!).overdue, "assigned is not answered")
        try Self.record(time.add(.reply, by: Self.township), &steps, workflow: workflow)
        #expect(!workflow.status(after: steps, today: CalendarDate("2026-04-30")!).overdue)
        // Explained (不宜转交) or answered on the spot closes it in time.
        let explained = [time.add(.explain, by: Self.township)]
        #expect(workflow.status(after: explained, today: CalendarDate("2026-04-30")!).closedAs == .explained)
    }

    /// Events arrive from several nodes in any order: the status depends only on when each was recorded.
    @Test func theStatusDoesNotDependOnTheOrderEventsArrive() throws {
        let workflow = CaseWorkflow(kind: .opinion, origin: Self.township, registeredOn: Self.registered)
        var time = Timeline()
        var steps: [CaseStep] = []
        try Self.record(time.add(.transfer, by: Self.township, to: Self.county), &steps, workflow: workflow)
        try Self.record(time.add(.assign, by: Self.county, units: ["区住建局"]), &steps, workflow: workflow)
        try Self.record(time.add(.supervise, by: Self.city), &steps, workflow: workflow)
        try Self.record(time.add(.reply, by: Self.county), &steps, workflow: workflow)
        try Self.record(time.add(.feedback, by: Self.township, satisfaction: .satisfied), &steps, workflow: workflow)
        let expected = workflow.status(after: steps, today: Self.registered)
        var random = SeededRandom(seed: 19)
        for _ in 0..<20 {
            #expect(workflow.status(after: steps.shuffled(using: &random), today: Self.registered) == expected)
        }
    }

    @Test func monthsAreAddedToTheSameDayOrTheMonthsLast() {
        #expect(CalendarDate("2026-08-31")!.adding(months: 6) == CalendarDate("2027-02-28"))
        #expect(CalendarDate("2027-08-31")!.adding(months: 6) == CalendarDate("2028-02-29"))
        #expect(CalendarDate("2026-11-30")!.adding(months: 3) == CalendarDate("2027-02-28"))
        #expect(CalendarDate("2026-01-15")!.adding(months: 3) == CalendarDate("2026-04-15"))
    }
}
