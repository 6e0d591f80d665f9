#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The public contact pages of SPEC §13 (码上约代表): a page per deputy mandate and per station, reached by a short code
/// printed as a QR code, and the receipt a constituent keeps to see what became of the message.
public enum ContactPage {
    /// Whose page a contact code opens.
    public enum Target: String, Sendable, Codable, CaseIterable {
        case deputy
        case station
    }

    /// Characters of codes and receipts: letters and digits that read back unambiguously from paper (no 0/o, 1/l/i).
    static let alphabet = Array("23456789abcdefghjkmnpqrstuvwxyz")

    /// Ten characters of 31: about 2^49 codes, so that nobody finds a deputy's page (or someone's receipt) by trying.
    public static let codeLength = 10

    /// A new random code from the system's cryptographic generator.
    public static func newCode() -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<codeLength).map { _ in alphabet.randomElement(using: &generator)! })
    }

    /// The pattern of a code (and a receipt), for the API document.
    public static var codePattern: String { "^[\(String(alphabet))]{\(codeLength)}$" }

    /// Whether `text` could be a code at all: anything else is answered 404 without a look-up.
    public static func isWellFormed(_ text: String) -> Bool {
        text.count == codeLength && text.allSatisfy { alphabet.contains($0) }
    }

    /// The page's address people open: the node's `publicBaseURL` followed by `/c/CODE`.
    public static func address(of code: String, under publicBaseURL: String) -> String {
        publicBaseURL + "/c/" + code
    }
}

/// An IP address as the node compares them: one spelling per address (`::1`, not `0:0:0:0:0:0:0:1`).
public enum IPAddress {
    /// The canonical spelling of `text`, nil when it is no IPv4 or IPv6 address.
    public static func canonical(_ text: String) -> String? {
        for family in [AF_INET, AF_INET6] {
            var bytes = [UInt8](repeating: 0, count: 16)
            guard inet_pton(family, text, &bytes) == 1 else { continue }
            var spelled = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            guard inet_ntop(family, bytes, &spelled, socklen_t(spelled.count)) != nil else { return nil }
            return String(cString: spelled)
        }
        return nil
    }
}

extension IPAddress {
    /// The client of a request that came from `peer`: behind a proxy listed in `trustedProxies`, the nearest address in
    /// `X-Forwarded-For` that is not itself a trusted proxy (those to its left could be written by anyone); from
    /// anyone else, `peer` — whatever the header says.
    public static func client(peer: String?, forwardedFor: String?, trustedProxies: Set<String>) -> String? {
        guard let peer, let canonicalPeer = canonical(peer), trustedProxies.contains(canonicalPeer), let forwardedFor else { return peer }
        for hop in forwardedFor.split(separator: ",").reversed() {
            guard let address = canonical(hop.trimmingCharacters(in: .whitespaces)) else { return canonicalPeer }
            if !trustedProxies.contains(address) { return address }
        }
        return canonicalPeer
    }
}
