#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One event of a synthetic case, the node that writes it, and how many of the case's events (every node's) come
/// before it: a node writes it once those are all there, so a step that waits for another node's (a county's reply
/// to an opinion a township transferred up, the township's feedback on it) is written by a later run, after a sync.
public struct SyntheticCaseEvent: Sendable {
    public var record: SyntheticRecord<CaseEvent>
    public var writer: RegionCode
    public var position: Int
}

/// Cases of one congress (SPEC §13) in 荆门's proportions: about 0.6 opinions a deputy mandate a year (3,300 for 5,200
/// deputies), most of them met through contact pages, reception days and visits; about eight in ten closed (handled:
/// assigned, replied, feedback, closed; a few answered on the spot or explained), the rest still open, some of those
/// past their deadline and supervised; a township node's hardest opinions transferred up to the node above and handled
/// there; feedback mostly satisfied, a few unsatisfied and reopened. A congress's node also gets a few suggestions a
/// year from the congress's deputies (a lead and co-signers), graded, some consulted, some complex. No constituent's
/// name or phone: those are only ever sealed at the node that met the constituent.
extension SyntheticRecords {
    static let opinionsPerMandate = 0.6
    /// A suggestion a year for so many of the congress's mandates, three at least.
    static let mandatesPerSuggestion = 20

    /// Appends the cases of `congress` registered in `years` up to `cutoff`, and their events up to it (none after: a
    /// re-run on a later day adds the days between, and changes nothing already written). Each case draws from a
    /// stream of its own, so that one left out (registered after the cutoff) changes no other, and the records seeded
    /// before cases existed keep their ids. `above` is the node a township node transfers opinions to; the events that
    /// node writes go to `caseEventsAbove`.
    mutating func appendCases(
        congress: TopologyNode,
        node: TopologyNode,
        above: TopologyNode?,
        townships: [TopologyNode],
        mandates: [SyntheticMandate],
        seed: UInt64,
        years: [Int],
        cutoff: CalendarDate
    ) {
        guard !mandates.isEmpty else { return }
        let names = Dictionary(townships.map { ($0.code, $0.name) }, uniquingKeysWith: { first, _ in first })
        var histories: [CaseHistory] = []
        for year in years {
            let newYear = CalendarDate("\(year)-01-01")!
            let opinions = Int((Self.opinionsPerMandate * Double(mandates.count)).rounded())
            for index in 0..<opinions {
                var random = SeededRandom("\(seed)", "opinion", congress.code.rawValue, "\(year)", "\(index)")
                let registered = newYear.adding(days: Int.random(in: 0..<365, using: &random))
                guard registered <= cutoff else { continue }
                let mandate = mandates.randomElement(using: &random)!
                let place = names[mandate.township] ?? congress.name
                let topic = CaseTopic.all.randomElement(using: &random)!
                let complaint = topic.complaints.randomElement(using: &random)!
                let channel = random.weighted([(Case.Channel.qr, 35), (.reception, 30), (.visit, 25), (.onlineStation, 10)])
                let received = channel == .onlineStation || Int.random(in: 0..<7, using: &random) == 0 ? nil : mandate
                let opinion = Case(
                    kind: .opinion,
                    channel: channel,
                    subject: complaint.subject,
                    content: "\(place)\(complaint.content)",
                    category: topic.category,
                    deputyIds: received.map { [$0.id] } ?? [],
                    stationId: channel == .reception || channel == .qr ? received?.station?.id : nil,
                    wantsMeeting: channel == .qr ? Int.random(in: 0..<3, using: &random) == 0 : nil,
                    registeredOn: registered
                )
                let record = SyntheticRecord(id: random.uuid(), regionCode: mandate.home, body: opinion)
                cases.append(record)
                var history = CaseHistory(caseId: record.id, registeredOn: registered, cutoff: cutoff)
                history.opinion(topic, township: place, origin: node, above: above, &random)
                histories.append(history)
            }
            guard congress.code == node.code else { continue }
            // Suggestions are made at the yearly session, early in the year.
            var random = SeededRandom("\(seed)", "session", congress.code.rawValue, "\(year)")
            let session = newYear.adding(days: Int.random(in: 10...55, using: &random))
            for index in 0..<max(3, mandates.count / Self.mandatesPerSuggestion) {
                var random = SeededRandom("\(seed)", "suggestion", congress.code.rawValue, "\(year)", "\(index)")
                let registered = session.adding(days: Int.random(in: 0...2, using: &random))
                guard registered <= cutoff else { continue }
                let lead = mandates.randomElement(using: &random)!
                let count = Int.random(in: 0...4, using: &random)
                let cosigners = mandates.filter { $0.id != lead.id }.shuffled(using: &random).prefix(count)
                let topic = CaseTopic.all.randomElement(using: &random)!
                let complex = Int.random(in: 0..<7, using: &random) == 0
                let suggestion = Case(
                    kind: .suggestion,
                    channel: .session,
                    subject: topic.suggestion,
                    content: "经调研，\(names[lead.township] ?? congress.name)等地\(topic.suggestionContent)",
                    category: topic.category,
                    deputyIds: [lead.id] + cosigners.map(\.id),
                    complex: complex ? true : nil,
                    registeredOn: registered
                )
                let record = SyntheticRecord(id: random.uuid(), regionCode: lead.home, body: suggestion)
                cases.append(record)
                var history = CaseHistory(caseId: record.id, registeredOn: registered, cutoff: cutoff)
                history.suggestion(topic, congress: congress, complex: complex, &random)
                histories.append(history)
            }
        }
        for history in histories {
            for (position, event) in history.events.enumerated() {
                let synthetic = SyntheticCaseEvent(record: event.record, writer: event.writer, position: position)
                if event.writer == node.code { caseEvents.append(synthetic) } else { caseEventsAbove.append(synthetic) }
            }
        }
    }
}

extension SeededRandom {
    /// One of `choices`, each as likely as its weight.
    mutating func weighted<Choice>(_ choices: [(Choice, Int)]) -> Choice {
        var pick = Int.random(in: 0..<choices.map(\.1).reduce(0, +), using: &self)
        return choices.first {
            pick -= $0.1
            return pick < 0
        }!.0
    }
}

/// A case's events in order, each on a day after the one before; none after the cutoff (the case is still under way).
/// Every step draws the same numbers whether or not it lies after the cutoff, so a later cutoff only adds steps.
private struct CaseHistory {
    let caseId: UUID
    let registeredOn: CalendarDate
    let cutoff: CalendarDate
    var events: [(writer: RegionCode, record: SyntheticRecord<CaseEvent>)] = []
    private var last: CalendarDate
    private var cut = false

    init(caseId: UUID, registeredOn: CalendarDate, cutoff: CalendarDate) {
        self.caseId = caseId
        self.registeredOn = registeredOn
        self.cutoff = cutoff
        last = registeredOn
    }

    /// The event `days` after the last one (or on `notBefore`, if later).
    mutating func add(
        _ action: CaseAction,
        by writer: RegionCode,
        after days: ClosedRange<Int>,
        notBefore: CalendarDate? = nil,
        _ random: inout SeededRandom,
        units: [String]? = nil,
        to: RegionCode? = nil,
        text: String? = nil,
        grade: SuggestionGrade? = nil,
        satisfaction: Satisfaction? = nil
    ) {
        let on = max(last.adding(days: Int.random(in: days, using: &random)), notBefore ?? last)
        let id = random.uuid()
        guard !cut, on <= cutoff else {
            cut = true
            return
        }
        last = on
        let event = CaseEvent(caseId: caseId, action: action, units: units, to: to, text: text, grade: grade, satisfaction: satisfaction, on: on)
        events.append((writer, SyntheticRecord(id: id, regionCode: nil, body: event)))
    }

    /// 满意 about six in ten, 基本满意 three, 不满意 one in twelve.
    static func satisfaction(_ random: inout SeededRandom) -> Satisfaction {
        random.weighted([(Satisfaction.satisfied, 62), (.basicallySatisfied, 30), (.unsatisfied, 8)])
    }

    /// A handler's reply: an opinion's within days, a suggestion's graded, within its months.
    mutating func reply(_ text: String, by handler: RegionCode, suggestion: Bool, complex: Bool, _ random: inout SeededRandom) {
        let grade = random.weighted([(SuggestionGrade.a, 45), (.b, 35), (.c, 20)])
        let days = suggestion ? (complex ? 40...120 : 20...55) : 3...11
        add(.reply, by: handler, after: days, &random, text: text, grade: suggestion ? grade : nil)
    }

    /// Feedback from the constituent (or the deputies) at `origin`, then closing, or reopening after an unsatisfied
    /// one, a second reply and its feedback.
    mutating func feedbackAndClose(origin: RegionCode, handler: RegionCode, reply text: String, suggestion: Bool, _ random: inout SeededRandom) {
        let satisfaction = Self.satisfaction(&random)
        add(.feedback, by: origin, after: 1...10, &random, satisfaction: satisfaction)
        if satisfaction == .unsatisfied {
            add(.reopen, by: handler, after: 1...5, &random)
            reply("重新办理：" + text, by: handler, suggestion: suggestion, complex: false, &random)
            add(.feedback, by: origin, after: 1...10, &random, satisfaction: Bool.random(using: &random) ? .satisfied : .basicallySatisfied)
        }
        add(.close, by: handler, after: 0...5, &random)
    }

    /// An opinion: answered on the spot or explained (about one in ten), else assigned (at `above` for one in ten of a
    /// township node's), replied, fed back and closed — or left waiting at some step, about one in six.
    mutating func opinion(_ topic: CaseTopic, township: String, origin: TopologyNode, above: TopologyNode?, _ random: inout SeededRandom) {
        let roll = Int.random(in: 0..<100, using: &random)
        if roll < 7 {
            add(.answerOnSpot, by: origin.code, after: 0...0, &random, text: "代表当场解答了相关政策规定和办理渠道，群众表示理解。")
            return
        }
        if roll < 11 {
            add(.explain, by: origin.code, after: 1...5, &random, text: "经核实，该事项已进入司法程序，不宜转交，已向群众当面说明。")
            return
        }
        var handler = origin
        if let above, roll < 22 {
            add(.transfer, by: origin.code, after: 0...3, &random, to: above.code)
            handler = above
        }
        let waiting = Int.random(in: 0..<100, using: &random)
        // 督办: one left waiting past its deadline is supervised, most of the time, by the node handling it.
        let late = registeredOn.adding(days: CaseDeadlines.standard.opinionReplyDays + 1)
        let supervised = Int.random(in: 0..<3, using: &random) > 0
        if waiting < 5 {
            if supervised { add(.supervise, by: handler.code, after: 0...14, notBefore: late, &random) }
            return
        }
        let units = topic.units(handler: handler, township: township, &random)
        add(.assign, by: handler.code, after: 0...3, &random, units: units)
        if waiting < 15 {
            if supervised { add(.supervise, by: handler.code, after: 0...14, notBefore: late, &random) }
            return
        }
        if Int.random(in: 0..<25, using: &random) == 0 { add(.supervise, by: handler.code, after: 1...4, &random) }
        let text = "经\(units[0])现场核查，\(topic.reply)"
        reply(text, by: handler.code, suggestion: false, complex: false, &random)
        // Replied, the feedback not asked yet.
        if waiting < 18 { return }
        feedbackAndClose(origin: origin.code, handler: handler.code, reply: text, suggestion: false, &random)
    }

    /// A suggestion at its congress's node: assigned to departments, some supervised (重点督办) and consulted (面商),
    /// replied with a grade within its three (or six) months, fed back by the deputies, closed; a few still unanswered.
    mutating func suggestion(_ topic: CaseTopic, congress: TopologyNode, complex: Bool, _ random: inout SeededRandom) {
        let node = congress.code
        let units = [congress.name + topic.bureau] + (Bool.random(using: &random) ? [congress.name + "财政局"] : [])
        add(.assign, by: node, after: 7...25, &random, units: units)
        if Int.random(in: 0..<12, using: &random) == 0 { return }
        if Int.random(in: 0..<10, using: &random) == 0 { add(.supervise, by: node, after: 5...30, &random) }
        if Int.random(in: 0..<10, using: &random) < 3 { add(.consult, by: node, after: 15...45, &random) }
        let text = "\(units[0])答复：\(topic.reply)"
        reply(text, by: node, suggestion: true, complex: complex, &random)
        feedbackAndClose(origin: node, handler: node, reply: text, suggestion: true, &random)
    }
}

/// A category of what constituents raise, with what they say and who handles it.
struct CaseTopic {
    var category: String
    var complaints: [(subject: String, content: String)]
    /// The county's or city's department, after its name.
    var bureau: String
    /// The township's office, after its name.
    var office: String
    var reply: String
    var suggestion: String
    var suggestionContent: String

    /// The handling units: the handler's department or office, with the township government as co-unit (会办) half the
    /// time when the handler is above it.
    func units(handler: TopologyNode, township: String, _ random: inout SeededRandom) -> [String] {
        if handler.level == .township { return [handler.name + office] }
        return [handler.name + bureau] + (Bool.random(using: &random) && township != handler.name ? ["\(township)人民政府"] : [])
    }

    static let all = [
        CaseTopic(
            category: "交通出行",
            complaints: [
                ("村道路面破损", "通往集镇的村道路面坑洼不平，雨天积水，群众出行和农用车通行困难，希望尽快修补。"),
                ("学校门口接送拥堵", "小学门口上下学时段车辆乱停，接送学生存在安全隐患，建议设置护学岗和减速带。"),
                ("公交班次太少", "进城公交班次少、末班车早，群众看病办事不便，建议增加班次。"),
            ],
            bureau: "交通运输局",
            office: "村镇建设办公室",
            reply: "已将该路段纳入今年维修计划并组织施工，相关情况已向反映人说明。",
            suggestion: "关于加快农村公路提档升级的建议",
            suggestionContent: "部分农村公路路面窄、破损多，建议加大投入，分年度实施提档升级和安全防护工程。"
        ),
        CaseTopic(
            category: "教育",
            complaints: [
                ("村小校舍需维修", "村小学部分校舍屋顶漏雨，围墙破损，影响教学安全，希望安排维修。"),
                ("幼儿园学位紧张", "附近公办幼儿园学位不够，孩子只能到较远的民办园就读，负担较重。"),
            ],
            bureau: "教育局",
            office: "中心学校",
            reply: "已安排专项资金实施维修，并统筹调剂学位，办理结果已告知反映人。",
            suggestion: "关于加强农村寄宿制学校建设的建议",
            suggestionContent: "农村寄宿制学校宿舍、食堂条件较差，建议改善办学条件，配齐生活教师。"
        ),
        CaseTopic(
            category: "医疗卫生",
            complaints: [
                ("村卫生室缺药", "村卫生室常用药品不全，慢性病老人要跑到镇上拿药，希望配齐常用药。"),
                ("异地就医报销繁琐", "外出务工人员异地就医报销手续繁琐、材料多，希望简化流程。"),
            ],
            bureau: "卫生健康局",
            office: "卫生院",
            reply: "已协调补充村卫生室常用药品目录，并公开了报销办理流程和咨询电话。",
            suggestion: "关于提升基层医疗服务能力的建议",
            suggestionContent: "乡镇卫生院医务人员不足、设备陈旧，建议加强人才引进和设备更新。"
        ),
        CaseTopic(
            category: "环境整治",
            complaints: [
                ("垃圾清运不及时", "路边垃圾桶满了几天没人清运，夏天气味很大，希望增加清运次数。"),
                ("养殖场异味扰民", "附近养殖场粪污处理不到位，气味扰民，希望督促整改。"),
                ("河道淤塞", "村里的排水河道淤塞、水质变差，汛期容易内涝，希望组织清淤。"),
            ],
            bureau: "生态环境分局",
            office: "生态环境办公室",
            reply: "已督促责任单位整改并加强日常巡查，整改情况已现场复核。",
            suggestion: "关于加强农村生活污水治理的建议",
            suggestionContent: "农村生活污水收集处理率不高，建议统筹规划管网建设并落实运维经费。"
        ),
        CaseTopic(
            category: "社会保障",
            complaints: [
                ("高龄津贴未到账", "家中老人满八十周岁后高龄津贴一直没有到账，不知道如何办理。"),
                ("低保政策咨询", "家庭因病致贫，想了解低保申请条件和办理流程。"),
            ],
            bureau: "民政局",
            office: "社会事务办公室",
            reply: "已核实情况并协助办理，相关政策已向反映人详细解释。",
            suggestion: "关于完善农村养老服务体系的建议",
            suggestionContent: "农村留守老人多、养老服务设施少，建议建设村级互助养老点并给予运营补贴。"
        ),
        CaseTopic(
            category: "农业农村",
            complaints: [
                ("灌溉渠道失修", "农田灌溉渠道年久失修，渗漏严重，春灌用水困难，希望修缮。"),
                ("农产品销路窄", "今年柑橘丰收但销路不畅，希望帮助对接销售渠道。"),
            ],
            bureau: "农业农村局",
            office: "农业服务中心",
            reply: "已将渠道修缮纳入农田水利建设计划，并组织对接电商和商超销售。",
            suggestion: "关于支持特色农产品品牌建设的建议",
            suggestionContent: "特色农产品品牌小、散、弱，建议加大品牌培育和冷链物流扶持力度。"
        ),
        CaseTopic(
            category: "城市管理",
            complaints: [
                ("占道经营", "小区门口早晚占道经营，堵塞通道，影响居民出行，希望规范管理。"),
                ("路灯损坏", "主干道多盏路灯损坏，夜间出行不安全，希望尽快维修。"),
            ],
            bureau: "城市管理执法局",
            office: "综合执法中队",
            reply: "已组织执法人员现场整治并安排维修，将纳入日常巡查。",
            suggestion: "关于规范城区停车管理的建议",
            suggestionContent: "城区停车位不足、乱停乱放突出，建议挖潜增设公共停车位并推行智慧停车。"
        ),
    ]
}
