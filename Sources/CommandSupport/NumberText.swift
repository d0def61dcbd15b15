extension Double {
    /// The number with two decimals, as the programs' summaries print durations: `1.50`.
    public var withTwoDecimals: String {
        let hundredths = Int((self * 100).rounded())
        let fraction = abs(hundredths % 100)
        return (hundredths < 0 && hundredths > -100 ? "-" : "") + "\(hundredths / 100)." + (fraction < 10 ? "0" : "") + "\(fraction)"
    }
}
