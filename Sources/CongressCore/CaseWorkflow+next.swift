extension CaseWorkflow {
    /// The actions `node` may record next on a case at `status`, in `CaseAction`'s order: each tried against `check` as
    /// its form would send it (units named, a suggestion's reply graded, a feedback given, a transfer to `parent`), so
    /// that what the pages offer is exactly what the store would accept.
    public func nextActions(at node: RegionCode, parent: RegionCode?, after status: CaseStatus, today: CalendarDate) -> [CaseAction] {
        CaseAction.allCases.filter { action in
            let step = CaseStep(
                node: node,
                at: .now,
                on: today,
                action: action,
                units: ["—"],
                to: action == .transfer ? parent : nil,
                grade: kind == .suggestion ? .a : nil,
                satisfaction: .satisfied
            )
            return (try? check(step, after: status)) != nil
        }
    }
}
