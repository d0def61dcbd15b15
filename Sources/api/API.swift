@main enum API { static func main() {} }
