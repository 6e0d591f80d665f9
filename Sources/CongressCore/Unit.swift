/// A village or community (村居): the denominator of village coverage.
public struct Unit: RecordBody {
    public static let kind = RecordKind.unit

    /// The longest name a unit takes (characters, after trimming).
    public enum Limit {
        public static let name = 100
    }

    public var code: RegionCode
    public var name: String
    /// 城乡分类代码 of the statistical division list (111 主城区 … 220 村庄).
    public var urbanRuralClass: String?

    public static let urbanRuralClasses: Set<String> = ["111", "112", "121", "122", "123", "210", "220"]

    public init(code: RegionCode, name: String, urbanRuralClass: String? = nil) {
        self.code = code
        self.name = name
        self.urbanRuralClass = urbanRuralClass
    }

    public mutating func validate(regionCode given: RegionCode?, node: RegionCode) throws(InputError) -> RegionCode? {
        guard code.isUnit else { throw InputError(field: "code", message: "\(code) is not a 12-digit village/community code") }
        try Check.inScope(code, node: node, field: "code")
        try Check.derived(given, equals: code, from: "code")
        name = try Check.text(name, field: "name", maxLength: Limit.name)
        if let urbanRuralClass, !Self.urbanRuralClasses.contains(urbanRuralClass) {
            throw InputError(
                field: "urbanRuralClass",
                message: "'\(urbanRuralClass)' is not one of \(Self.urbanRuralClasses.sorted().joined(separator: ", "))"
            )
        }
        return code
    }
}
