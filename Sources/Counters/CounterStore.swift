/// Where the counts live. Implementations are bound to one event-loop thread and call every
/// completion exactly once, on that thread; none of them blocks.
public protocol CounterStore: AnyObject {
    /// Adds one to `counter` and reports the new value.
    func increment(_ counter: Counter, _ completion: @escaping (Result<Int, CounterStoreError>) -> Void)

    /// Reports the value of `counter`; 0 when it was never incremented.
    func value(of counter: Counter, _ completion: @escaping (Result<Int, CounterStoreError>) -> Void)

    /// Reports whether the store answers.
    func checkHealth(_ completion: @escaping (Result<Void, CounterStoreError>) -> Void)
}
