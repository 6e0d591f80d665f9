/// The words staff read for a case's kinds, channels, states and steps (SPEC §13), in the pages.
extension CaseKind {
    public var label: String {
        switch self {
        case .opinion: "社情民意"
        case .suggestion: "代表建议"
        }
    }
}

extension Case.Channel {
    public var label: String {
        switch self {
        case .qr: "码上约代表"
        case .reception: "代表接待日"
        case .visit: "走访"
        case .onlineStation: "网上联络站"
        case .session: "人代会期间"
        }
    }
}

extension CaseState {
    public var label: String {
        switch self {
        case .registered: "已登记"
        case .assigned: "已交办"
        case .transferred: "已转交上级"
        case .replied: "已答复"
        case .closed: "已办结"
        }
    }
}

extension CaseAction {
    public var label: String {
        switch self {
        case .assign: "交办"
        case .transfer: "转交上级"
        case .reply: "答复"
        case .answerOnSpot: "当场解答"
        case .explain: "解释说明（不宜转交）"
        case .supervise: "督办"
        case .consult: "面商"
        case .feedback: "反馈满意度"
        case .reopen: "重新办理"
        case .close: "办结"
        }
    }
}

extension CaseClosing {
    public var label: String {
        switch self {
        case .handled: "办理完毕"
        case .answeredOnSpot: "当场解答"
        case .explained: "解释说明"
        }
    }
}

extension Satisfaction {
    public var label: String {
        switch self {
        case .satisfied: "满意"
        case .basicallySatisfied: "基本满意"
        case .unsatisfied: "不满意"
        }
    }
}

extension SuggestionGrade {
    public var label: String {
        switch self {
        case .a: "A 已解决"
        case .b: "B 正在解决"
        case .c: "C 留作参考"
        }
    }
}
