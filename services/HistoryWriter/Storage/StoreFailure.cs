namespace CustomerService.HistoryWriter.Storage;

/// <summary>What a failed call to the history database says about the rows it carried.</summary>
internal enum StoreFailure
{
    /// <summary>The store could not take anything right now (away, slow, out of memory, too many parts, read-only): try the same rows later.</summary>
    Transient,

    /// <summary>The store refused these rows for what they hold: the same rows will be refused again.</summary>
    RowRejected,
}

/// <summary>
/// Which store errors are the rows' fault. Only a refusal whose ClickHouse code is about the data (a constraint, a
/// value that does not parse or fit) counts; every other error, known or not, is taken for the store's state and
/// retried, because parking a good row is loss and holding the archive back until an operator looks is not.
/// </summary>
internal static class StoreFailures
{
    /// <summary>ClickHouse error codes (src/Common/ErrorCodes.cpp) that an insert answers for a row's content.</summary>
    private static readonly HashSet<int> RowCodes =
    [
        6,   // CANNOT_PARSE_TEXT
        27,  // CANNOT_PARSE_INPUT_ASSERTION_FAILED
        33,  // CANNOT_READ_ALL_DATA (a truncated row)
        38,  // CANNOT_PARSE_DATE
        41,  // CANNOT_PARSE_DATETIME
        53,  // TYPE_MISMATCH
        69,  // ARGUMENT_OUT_OF_BOUND
        70,  // CANNOT_CONVERT_TYPE
        72,  // CANNOT_PARSE_NUMBER
        117, // INCORRECT_DATA
        128, // TOO_LARGE_ARRAY_SIZE
        131, // TOO_LARGE_STRING_SIZE
        321, // VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
        349, // CANNOT_INSERT_NULL_IN_ORDINARY_COLUMN
        ClickHouseErrorCode.ViolatedConstraint,
    ];

    public static StoreFailure Classify(Exception exception) =>
        exception is HistoryStoreRejectedException rejected && RowCodes.Contains(rejected.Code) ? StoreFailure.RowRejected : StoreFailure.Transient;
}
