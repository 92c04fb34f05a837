// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice The part of the shared sequencer's General system contract a dApp uses (the full
///         interface is contracts/interfaces/IGeneralSystemContract.sol in the svs repository).
interface IGeneral {
    /// @notice Ask for `target.call(data)` on `destinationChainId`, in the same tick.
    function trigger(uint256 destinationChainId, address target, bytes calldata data, uint256 gasLimit) external;
    /// @notice During an action: who called `trigger` on the source rollup.
    function messageSender() external view returns (address sender_);
    /// @notice During an action: the source rollup's chain id.
    function messageSourceChainId() external view returns (uint256 chainId_);
}

/// @title CrossChainGreeter
/// @notice A greeting sent from one rollup lands on another in the same tick, or not at all.
///         Each rollup has one greeter; a greeter accepts greetings only from its peers, the
///         greeters on the other rollups that its owner registered.
contract CrossChainGreeter {
    /// @notice `from` on `sourceChainId` greeted with `text`.
    event Greeted(uint256 indexed sourceChainId, address indexed from, string text);

    /// @dev Only the General system contract may deliver a greeting.
    error GreeterNotGeneral(address caller);
    /// @dev The greeting did not come from the registered peer on its source rollup.
    error GreeterUnknownPeer(uint256 sourceChainId, address sender);
    /// @dev Only the owner registers peers.
    error GreeterNotOwner(address caller);
    /// @dev An empty greeting.
    error GreeterEmpty();

    IGeneral public immutable GENERAL;
    address public immutable OWNER;

    /// @notice The greeter on each other rollup.
    mapping(uint256 chainId => address greeter) public peers;
    /// @notice The last greeting received, its sender and its rollup.
    string public lastGreeting;
    address public lastFrom;
    uint256 public lastSourceChainId;

    /// @param general The General system contract on this rollup.
    constructor(IGeneral general) {
        GENERAL = general;
        OWNER = msg.sender;
    }

    /// @notice Register the greeter on `chainId`.
    function setPeer(uint256 chainId, address greeter) external {
        if (msg.sender != OWNER) revert GreeterNotOwner(msg.sender);
        peers[chainId] = greeter;
    }

    /// @notice Greet the peer on `destinationChainId`; the sender there is this contract.
    function greet(uint256 destinationChainId, string calldata text) external {
        if (bytes(text).length == 0) revert GreeterEmpty();
        GENERAL.trigger(destinationChainId, peers[destinationChainId], abi.encodeCall(this.receive_, (msg.sender, text)),
                        200_000);
    }

    /// @notice Delivered by the sequencer as a cross-chain action.
    function receive_(address from, string calldata text) external {
        if (msg.sender != address(GENERAL)) revert GreeterNotGeneral(msg.sender);
        uint256 source = GENERAL.messageSourceChainId();
        if (GENERAL.messageSender() != peers[source]) revert GreeterUnknownPeer(source, GENERAL.messageSender());
        lastGreeting = text;
        lastFrom = from;
        lastSourceChainId = source;
        emit Greeted(source, from, text);
    }
}
