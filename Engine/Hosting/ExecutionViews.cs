using Engine.Exchange.UserData;
using Engine.Execution;
using Engine.Model;
using Engine.State;

namespace Engine.Hosting;

/// <summary>The user-data stream's events go to execution's order ledger: the one funnel for order truth.</summary>
public sealed class ExecutionUserDataSink(ExecutionService execution) : IUserDataSink
{
    public void OnOrderUpdate(in MarketEvent evt) => execution.OnOrderUpdate(in evt);

    public void OnAccountUpdate(in MarketEvent evt) => execution.OnAccountUpdate(in evt);

    public void OnStreamDown() => execution.OnStreamDown();

    public void OnStreamUp(bool recovered) => execution.OnStreamUp(recovered);
}

/// <summary>Reconciliation reads the orders execution thinks are open from the I/O loop's published snapshot.</summary>
public sealed class ExecutionOpenOrders(ExecutionService execution, SymbolTable symbols) : IOpenOrderView
{
    public int CopyOpenOrders(List<LocalOrder> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        var count = 0;
        foreach (var order in execution.OpenOrders)
        {
            if (order.Paper || !symbols.TryGet(System.Text.Encoding.ASCII.GetBytes(order.Symbol), out var id))
            {
                // Paper orders never reach the venue, so the venue cannot confirm or deny them.
                continue;
            }

            into.Add(new LocalOrder(id, order.ClientOrderId, order.Side, order.Quantity, order.Filled, order.Status));
            count++;
        }

        return count;
    }
}
